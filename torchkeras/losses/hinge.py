"""Hinge losses for maximum-margin classification: hinge, squared hinge, categorical hinge."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.losses.loss import BuiltinLossWrapper
from torchkeras.utils import nest

__all__ = ["CategoricalHinge", "Hinge", "SquaredHinge", "categorical_hinge", "hinge", "squared_hinge"]


def _as_tensors(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    y_pred = nest.to_tensor(y_pred)
    return nest.to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device), y_pred


def _to_signed_labels(y_true: torch.Tensor) -> torch.Tensor:
    """Maps labels to -1/1 when they are all 0/1, else leaves them as given (no host sync)."""
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(maximum(1 - y_true * y_pred, 0))` over the last axis; 0/1 labels become -1/1."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    y_true = _to_signed_labels(y_true)
    return torch.mean(torch.clamp(1.0 - y_true * y_pred, min=0.0), dim=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(square(maximum(1 - y_true * y_pred, 0)))` over the last axis; 0/1 labels become -1/1."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    y_true = _to_signed_labels(y_true)
    return torch.mean(torch.square(torch.clamp(1.0 - y_true * y_pred, min=0.0)), dim=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`maximum(neg - pos + 1, 0)`, with `pos` the true-class score and `neg` the best other one."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    pos = torch.sum(y_true * y_pred, dim=-1)
    neg = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.clamp(neg - pos + 1.0, min=0.0)


class Hinge(BuiltinLossWrapper):
    """Hinge loss; labels are -1/1 (0/1 labels are converted).

    Args:
        reduction: see `Loss`.
        name: defaults to `"hinge"`.
        dtype: see `Loss`.
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "hinge", dtype: Any = None):
        super().__init__(hinge, reduction, name, dtype)


class SquaredHinge(BuiltinLossWrapper):
    """Squared hinge loss; labels are -1/1 (0/1 labels are converted).

    Args:
        reduction: see `Loss`.
        name: defaults to `"squared_hinge"`.
        dtype: see `Loss`.
    """

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str = "squared_hinge", dtype: Any = None
    ):
        super().__init__(squared_hinge, reduction, name, dtype)


class CategoricalHinge(BuiltinLossWrapper):
    """Categorical hinge loss between one-hot labels and class scores.

    Args:
        reduction: see `Loss`.
        name: defaults to `"categorical_hinge"`.
        dtype: see `Loss`.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_hinge",
        dtype: Any = None,
    ):
        super().__init__(categorical_hinge, reduction, name, dtype)
