"""Running a recurrence over time: the generic step loop and the fused torch kernels.

Both paths follow Keras's masking rules exactly: a masked step keeps the previous states, and its
output is the previous step's (masked) output, zeros before the first unmasked step, or zeros
throughout with `zero_output_for_mask`. Outputs come in processing order (reversed with
`go_backwards`), and the last output is the one of the last processed step.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch._subclasses.fake_tensor import FakeTensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

__all__ = ["FusedKernel", "StepFunction", "is_fake", "right_padded_lengths", "run_fused", "run_loop"]

StepFunction = Callable[[torch.Tensor, list[torch.Tensor]], tuple[torch.Tensor, list[torch.Tensor]]]
"""`step(input_t, states) -> (output_t, new_states)`, with `states` a flat list of tensors."""

FusedKernel = Callable[
    [torch.Tensor, list[torch.Tensor], "torch.Tensor | None"], tuple[torch.Tensor, list[torch.Tensor]]
]
"""`kernel(inputs, states, batch_sizes) -> (outputs, final_states)`: a whole-sequence torch RNN.

`inputs` is `(batch, time, features)`, or packed data when `batch_sizes` is given; the output of a
step must equal the step's first state (true of SimpleRNN, LSTM and GRU).
"""


def is_fake(tensor: torch.Tensor) -> bool:
    """Whether `tensor` is a shape-inference stand-in (no data to look at)."""
    return isinstance(tensor, FakeTensor)


def _broadcastable(keep: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return keep.view(keep.shape[0], *([1] * (like.ndim - 1)))


def run_loop(
    step: StepFunction,
    inputs: torch.Tensor,
    states: list[torch.Tensor],
    mask: torch.Tensor | None = None,
    go_backwards: bool = False,
    zero_output_for_mask: bool = False,
    return_sequences: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | None, list[torch.Tensor]]:
    """Calls `step` on each timestep of `inputs` (`(batch, time, ...)`).

    Returns `(last_output, outputs or None, final_states)`; `outputs` is `(batch, time, ...)`.
    """
    steps = inputs.unbind(1)
    keeps = mask.unbind(1) if mask is not None else None
    order = range(len(steps) - 1, -1, -1) if go_backwards else range(len(steps))
    outputs: list[torch.Tensor] = []
    previous = None
    output = None
    for t in order:
        output, new_states = step(steps[t], states)
        if keeps is not None:
            keep = keeps[t]
            if zero_output_for_mask or previous is None:
                output = torch.where(_broadcastable(keep, output), output, 0.0)
            else:
                output = torch.where(_broadcastable(keep, output), output, previous)
            new_states = [torch.where(_broadcastable(keep, n), n, s) for n, s in zip(new_states, states)]
            previous = output
        states = list(new_states)
        if return_sequences:
            outputs.append(output)
    return output, (torch.stack(outputs, 1) if return_sequences else None), states


def right_padded_lengths(mask: torch.Tensor) -> torch.Tensor | None:
    """Per-sequence lengths (a CPU tensor) when every row of `mask` is `True...True False...False`,
    else `None`. Reads one small tensor back from the device."""
    lengths = mask.sum(1)
    positions = torch.arange(mask.shape[1], device=mask.device)
    right_padded = (mask == (positions < lengths.unsqueeze(1))).all()
    summary = torch.cat([lengths, right_padded.to(lengths.dtype).unsqueeze(0)]).cpu()
    return summary[:-1] if bool(summary[-1]) else None


def run_fused(
    kernel: FusedKernel,
    inputs: torch.Tensor,
    states: list[torch.Tensor],
    lengths: torch.Tensor | None = None,
    go_backwards: bool = False,
    zero_output_for_mask: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """Runs a whole-sequence kernel; `lengths` (CPU) stands for a right-padded mask.

    Returns `(last_output, outputs, final_states)` exactly as `run_loop` would.
    """
    if lengths is None:
        outputs, states = kernel(inputs.flip(1) if go_backwards else inputs, states, None)
        return outputs[:, -1], outputs, states
    batch, time = inputs.shape[:2]
    device = inputs.device
    steps = lengths.to(device).unsqueeze(1)
    positions = torch.arange(time, device=device)
    valid = positions < steps
    if go_backwards:  # reverse each sequence within its length; it stays right-padded
        source = torch.where(valid, steps - 1 - positions, positions)
        inputs = torch.take_along_dim(inputs, source.unsqueeze(-1), dim=1)
    packed = pack_padded_sequence(inputs, lengths.clamp(min=1), batch_first=True, enforce_sorted=False)
    sorted_states = [s.index_select(0, packed.sorted_indices) for s in states]
    data, final = kernel(packed.data, sorted_states, packed.batch_sizes)
    final = [s.index_select(0, packed.unsorted_indices) for s in final]
    packed_outputs = PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
    outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True, total_length=time)
    nonempty = steps > 0  # fully masked sequences keep their initial states
    final = [torch.where(nonempty, f, s) for f, s in zip(final, states)]
    if go_backwards:  # masked steps come first in processing order, with zero outputs
        first_valid = time - steps
        shifted = (positions - first_valid).clamp(min=0)
        outputs = torch.take_along_dim(outputs, shifted.unsqueeze(-1), dim=1)
        outputs = torch.where((positions >= first_valid).unsqueeze(-1), outputs, 0.0)
    elif zero_output_for_mask:
        outputs = torch.where(valid.unsqueeze(-1), outputs, 0.0)
    else:  # masked steps repeat the last valid output (zeros if there is none)
        last_valid = torch.where(nonempty, final[0], 0.0)
        outputs = torch.where(valid.unsqueeze(-1), outputs, last_valid.unsqueeze(1))
    return outputs[:, -1], outputs, final
