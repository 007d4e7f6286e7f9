"""Metric-learning losses on embeddings: the Circle loss."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras.losses.loss import BuiltinLossWrapper
from torchkeras.utils import nest

__all__ = ["Circle", "circle"]


def _pair_masks(
    query_labels: torch.Tensor, key_labels: torch.Tensor, remove_diagonal: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Same-label (positive) and different-label (negative) masks between queries and keys."""
    positive = query_labels.reshape(-1, 1) == key_labels.reshape(1, -1)
    negative = ~positive
    if remove_diagonal:
        eye = torch.eye(positive.shape[0], positive.shape[1], dtype=torch.bool, device=positive.device)
        positive = positive & ~eye
    return positive, negative


def circle(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> torch.Tensor:
    """Circle loss (Sun et al., 2020) of L2-normalized embeddings `y_pred` with integer labels.

    Each embedding is compared with `ref_embeddings` (default: the batch itself); same-label
    pairs are pulled together and other pairs pushed apart, each weighted by how far it is from
    its optimum. Entries whose loss is zero carry a `False` in the result's `_keras_mask`.

    Args:
        y_true: integer labels, shape `(batch_size,)`.
        y_pred: L2-normalized embeddings, shape `(batch_size, dim)`.
        ref_labels: labels of the reference embeddings; defaults to `y_true`.
        ref_embeddings: reference embeddings; defaults to `y_pred`.
        remove_diagonal: ignore each embedding's pairing with itself.
        gamma: scale factor. Defaults to `80`.
        margin: relaxation margin. Defaults to `0.4`.
    """
    y_pred = nest.to_tensor(y_pred)
    y_true = nest.to_tensor(y_true, device=y_pred.device).to(torch.int32)
    ref_embeddings = (
        y_pred if ref_embeddings is None else nest.to_tensor(ref_embeddings, device=y_pred.device)
    )
    ref_labels = (
        y_true if ref_labels is None else nest.to_tensor(ref_labels, device=y_pred.device).to(torch.int32)
    )
    distances = torch.clamp(1 - y_pred @ ref_embeddings.T, min=0.0)
    positive, negative = _pair_masks(y_true, ref_labels, remove_diagonal)
    pos_weights = torch.clamp((margin + distances) * positive.to(distances.dtype), min=0.0)
    neg_weights = torch.clamp((1 + margin - distances) * negative.to(distances.dtype), min=0.0)
    pos_logits = -1 * gamma * pos_weights * (margin - distances)
    neg_logits = gamma * neg_weights * ((1 - margin) - distances)
    p_loss = torch.logsumexp(torch.where(positive, pos_logits, float("-inf")), dim=1)
    n_loss = torch.logsumexp(torch.where(negative, neg_logits, float("-inf")), dim=1)
    loss = F.softplus(p_loss + n_loss)
    loss._keras_mask = loss > 0
    return loss


class Circle(BuiltinLossWrapper):
    """Circle loss for metric learning on L2-normalized embeddings (see `circle`).

    Args:
        gamma: scale factor. Defaults to `80.0`.
        margin: relaxation margin. Defaults to `0.4`.
        remove_diagonal: ignore each embedding's pairing with itself. Defaults to `True`.
        reduction: see `Loss`.
        name: defaults to `"circle"`.
        dtype: see `Loss`.
    """

    _config_keys = ("gamma", "margin", "remove_diagonal")

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str = "circle",
        dtype: Any = None,
    ):
        super().__init__(
            circle, reduction, name, dtype, gamma=gamma, margin=margin, remove_diagonal=remove_diagonal
        )
