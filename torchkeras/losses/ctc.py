"""Connectionist Temporal Classification loss, for unaligned sequence labelling."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras.losses.loss import BuiltinLossWrapper
from torchkeras.utils import nest

__all__ = ["CTC", "ctc"]


def ctc(y_true: Any, y_pred: Any) -> torch.Tensor:
    """CTC loss per sequence; class 0 is the blank, and label 0 also pads `y_true`.

    Args:
        y_true: integer labels, shape `(batch_size, max_label_length)`, padded with 0.
        y_pred: logits, shape `(batch_size, max_time, num_classes)`.

    Returns:
        The loss of each sequence, shape `(batch_size,)`. Torch's kernel reads the sequence
        lengths on the host, so this loss synchronizes with the GPU once per call.
    """
    y_pred = nest.to_tensor(y_pred)
    y_true = nest.to_tensor(y_true, device=y_pred.device)
    if y_true.dim() != 2:
        raise ValueError(
            "`y_true` must have shape (batch_size, max_length) in integer format. "
            f"Received: y_true.shape={tuple(y_true.shape)}"
        )
    if y_pred.dim() != 3:
        raise ValueError(
            "`y_pred` must be logits of shape (batch_size, max_length, num_classes). "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    batch_size, max_time = y_pred.shape[:2]
    log_probs = F.log_softmax(
        y_pred.to(torch.promote_types(y_pred.dtype, torch.float32)).transpose(0, 1), dim=-1
    )
    targets = y_true.long()
    input_lengths = torch.full((batch_size,), max_time, dtype=torch.long, device=y_pred.device)
    target_lengths = (targets != 0).sum(dim=-1)
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="none")


class CTC(BuiltinLossWrapper):
    """CTC loss between padded integer label sequences and per-step class logits (see `ctc`).

    Args:
        reduction: see `Loss`.
        name: defaults to `"ctc"`.
        dtype: see `Loss`.
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "ctc", dtype: Any = None):
        super().__init__(ctc, reduction, name, dtype)
