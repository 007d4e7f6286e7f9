"""Connectionist temporal classification (`keras.ops.nn`): the CTC loss and decoding."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch._subclasses.fake_tensor import is_fake  # shape inference runs ops on fake tensors

from torchkeras.ops._convert import ArrayLike, convert, tensor
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.utils.validation import check_choice, check_positive_int

__all__ = ["ctc_decode", "ctc_loss"]


@symbolic_op
def ctc_loss(
    target: ArrayLike,
    output: ArrayLike,
    target_length: ArrayLike,
    output_length: ArrayLike,
    mask_index: int = 0,
) -> torch.Tensor:
    """The CTC loss of each sample, shape `(batch,)`.

    Args:
        target: int labels, `(batch, max_label_length)`.
        output: logits, `(batch, max_time, num_classes)`.
        target_length: int `(batch,)`, the length of each label sequence.
        output_length: int `(batch,)`, the length of each output sequence.
        mask_index: the blank class.
    """
    output = tensor(output)
    if not output.dtype.is_floating_point or output.dtype in (torch.float16, torch.bfloat16):
        output = output.to(torch.float32)
    if output.ndim != 3:
        raise ValueError(
            f"`output` must be (batch, max_time, num_classes). Received: output.shape={tuple(output.shape)}"
        )
    device = output.device
    if is_fake(output):  # shape inference: torch has no fake-tensor CTC kernel
        return torch.zeros(output.shape[:1], dtype=output.dtype, device=device)
    log_probs = F.log_softmax(torch.transpose(output, 0, 1), dim=-1)
    return F.ctc_loss(
        log_probs,
        convert(target, torch.int64, device),
        convert(output_length, torch.int64, device),
        convert(target_length, torch.int64, device),
        blank=mask_index,
        reduction="none",
    )


@symbolic_op
def ctc_decode(
    inputs: ArrayLike,
    sequence_lengths: ArrayLike,
    strategy: str = "greedy",
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    mask_index: int | None = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Decodes CTC outputs into label sequences.

    Args:
        inputs: `(batch, max_time, num_classes)` logits.
        sequence_lengths: int `(batch,)`, the valid length of each sample.
        strategy: `"greedy"` (best class per step) or `"beam_search"` (prefix beam search).
        beam_width: prefixes kept per step with `"beam_search"`.
        top_paths: how many decodings to return with `"beam_search"`.
        merge_repeated: with `"greedy"`, collapse repeated classes.
        mask_index: the blank class (`None`: the last class).

    Returns:
        `(decoded, scores)`: int32 `(top_paths, batch, max_time)` labels padded with -1, and the
        `(batch, top_paths)` scores (greedy: minus the sum of the chosen logits; beam search: the
        log-probability of each decoding).
    """
    strategy = check_choice(strategy, ("greedy", "beam_search"), "strategy")
    return _CTC_DECODERS[strategy](
        inputs, sequence_lengths, beam_width, top_paths, merge_repeated, mask_index
    )


def _greedy(
    inputs: ArrayLike,
    sequence_lengths: ArrayLike,
    beam_width: int,
    top_paths: int,
    merge_repeated: bool,
    mask_index: int | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    inputs = _float_logits(inputs)
    batch, steps, classes = inputs.shape
    blank = classes - 1 if mask_index is None else mask_index
    lengths = convert(sequence_lengths, torch.int64, inputs.device)
    scores, labels = torch.max(inputs, dim=-1)
    beyond = torch.arange(steps, device=inputs.device)[None, :] >= lengths[:, None]
    labels = torch.where(beyond, blank, labels)
    scores = torch.where(beyond, 0.0, scores)
    if merge_repeated:
        repeated = F.pad(labels[:, 1:] == labels[:, :-1], (1, 0))
        labels = torch.where(repeated, blank, labels)
    dropped = labels == blank
    # Stable sort on "dropped" moves kept labels to the front, in order.
    order = torch.argsort(dropped.to(torch.int8), dim=-1, stable=True)
    labels = torch.where(dropped, -1, labels)
    decoded = torch.take_along_dim(labels, order, dim=-1).to(torch.int32)
    return decoded[None], -torch.sum(scores, dim=1, keepdim=True)


def _beam_search(
    inputs: ArrayLike,
    sequence_lengths: ArrayLike,
    beam_width: int,
    top_paths: int,
    merge_repeated: bool,
    mask_index: int | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    check_positive_int(beam_width, "beam_width")
    check_positive_int(top_paths, "top_paths")
    inputs = _float_logits(inputs)
    batch, steps, classes = inputs.shape
    if top_paths > beam_width:
        raise ValueError(f"`top_paths` must be <= `beam_width`={beam_width}. Received: top_paths={top_paths}")
    blank = classes - 1 if mask_index is None else mask_index
    if is_fake(inputs):  # shape inference: the search itself reads values
        return (
            torch.full((top_paths, batch, steps), -1, dtype=torch.int32, device=inputs.device),
            torch.zeros((batch, top_paths), dtype=inputs.dtype, device=inputs.device),
        )
    log_probs = F.log_softmax(inputs, dim=-1).detach().cpu().double()
    lengths = convert(sequence_lengths, torch.int64).tolist()
    decoded = torch.full((top_paths, batch, steps), -1, dtype=torch.int32)
    scores = torch.full((batch, top_paths), -math.inf, dtype=torch.float64)
    for sample in range(batch):
        best = _prefix_beam_search(log_probs[sample, : lengths[sample]].tolist(), blank, beam_width)
        for rank, (prefix, score) in enumerate(best[:top_paths]):
            decoded[rank, sample, : len(prefix)] = torch.tensor(prefix, dtype=torch.int32)
            scores[sample, rank] = score
    return decoded.to(inputs.device), scores.to(device=inputs.device, dtype=inputs.dtype)


def _prefix_beam_search(steps: list, blank: int, beam_width: int) -> list[tuple[tuple, float]]:
    """CTC prefix beam search over per-step log-probabilities; returns `(prefix, log-prob)` best
    first. Each prefix tracks two scores: ending in a blank, and ending in its last label."""
    beams = {(): (0.0, -math.inf)}  # prefix -> (log p ending in blank, log p ending in a label)
    for row in steps:
        grown: dict[tuple, list[float]] = {}
        for prefix, (ends_blank, ends_label) in beams.items():
            total = _logaddexp(ends_blank, ends_label)
            for label, score in enumerate(row):
                if label == blank:
                    _accumulate(grown, prefix, 0, total + score)
                elif prefix and prefix[-1] == label:
                    _accumulate(grown, prefix, 1, ends_label + score)  # the repeat collapses
                    _accumulate(grown, (*prefix, label), 1, ends_blank + score)  # a blank between
                else:
                    _accumulate(grown, (*prefix, label), 1, total + score)
        ranked = sorted(grown.items(), key=lambda item: -_logaddexp(*item[1]))
        beams = {prefix: (a, b) for prefix, (a, b) in ranked[:beam_width]}
    ranked = sorted(beams.items(), key=lambda item: -_logaddexp(*item[1]))
    return [(prefix, _logaddexp(*pair)) for prefix, pair in ranked]


def _accumulate(beams: dict, prefix: tuple, slot: int, value: float) -> None:
    entry = beams.setdefault(prefix, [-math.inf, -math.inf])
    entry[slot] = _logaddexp(entry[slot], value)


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    high = max(a, b)
    return high + math.log1p(math.exp(-abs(a - b)))


def _float_logits(inputs: ArrayLike) -> torch.Tensor:
    inputs = tensor(inputs)
    if not inputs.dtype.is_floating_point or inputs.dtype in (torch.float16, torch.bfloat16):
        inputs = inputs.to(torch.float32)
    if inputs.ndim != 3:
        raise ValueError(
            f"`inputs` must be (batch, max_time, num_classes). Received: inputs.shape={tuple(inputs.shape)}"
        )
    return inputs


_CTC_DECODERS = {"greedy": _greedy, "beam_search": _beam_search}
