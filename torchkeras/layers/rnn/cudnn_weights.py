"""One contiguous cuDNN weight buffer behind a built-in cell's separately stored weights.

cuDNN wants an RNN's weights as views of one buffer; given separate tensors it compacts them into a
new buffer on every call (tens of small copies, most of the call's host time for small layers).
`flat_copies` lays copies of the weights out in such a buffer once; the cell then points its own
variables at those views, exactly as `torch.nn.LSTM.flatten_parameters()` does, and calls after
that pass the kernel its weights as they are.
"""

from __future__ import annotations

import torch

__all__ = ["flat_copies", "weights_key"]

_MODES = {"RNN_RELU": 0, "RNN_TANH": 1, "LSTM": 2, "GRU": 3}


def weights_key(weights: list[torch.Tensor]) -> tuple[int, ...]:
    """Identifies where the weights live (changes when they are moved or replaced)."""
    return tuple(w.data_ptr() for w in weights)


def flat_copies(
    weights: list[torch.Tensor], mode: str, input_size: int, hidden_size: int
) -> list[torch.Tensor] | None:
    """Copies of `weights` (`[w_ih, w_hh, b_ih, b_hh]` or `[w_ih, w_hh]`) viewing one cuDNN buffer,
    or `None` where cuDNN does not run (CPU, cuDNN disabled, inside `torch.compile`)."""
    first = weights[0]
    if not first.is_cuda or not torch._use_cudnn_rnn_flatten_weight() or torch.compiler.is_compiling():
        return None
    with torch.no_grad():
        copies = [w.detach().clone() for w in weights]
        torch._cudnn_rnn_flatten_weight(
            copies, len(copies), input_size, _MODES[mode], hidden_size, 0, 1, True, False
        )
    return copies
