"""Overlap losses for image segmentation: Dice and Tversky."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config
from torchkeras.losses.loss import BuiltinLossWrapper
from torchkeras.utils import nest

__all__ = ["Dice", "Tversky", "dice", "tversky"]


def _as_tensors(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    y_pred = nest.to_tensor(y_pred)
    return nest.to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device), y_pred


def _sum(x: torch.Tensor, axis: int | tuple[int, ...] | list[int] | None) -> torch.Tensor:
    return torch.sum(x) if axis is None else torch.sum(x, dim=tuple(axis) if isinstance(axis, list) else axis)


def dice(y_true: Any, y_pred: Any, axis: int | tuple[int, ...] | None = None) -> torch.Tensor:
    """`1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + eps)`, summed over `axis`
    (all axes when `None`)."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    intersection = _sum(y_true * y_pred, axis)
    denominator = _sum(y_true, axis) + _sum(y_pred, axis) + config.epsilon()
    return 1 - 2.0 * intersection / denominator


def tversky(
    y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: int | tuple[int, ...] | None = None
) -> torch.Tensor:
    """`1 - TP / (TP + alpha * FP + beta * FN + eps)` with soft counts summed over `axis`.

    As in Keras, `FP = sum((1 - y_pred) * y_true)` and `FN = sum(y_pred * (1 - y_true))`.
    """
    y_true, y_pred = _as_tensors(y_true, y_pred)
    intersection = _sum(y_true * y_pred, axis)
    fp = _sum((1 - y_pred) * y_true, axis)
    fn = _sum(y_pred * (1 - y_true), axis)
    return 1 - intersection / (intersection + fp * alpha + fn * beta + config.epsilon())


class Dice(BuiltinLossWrapper):
    """Dice loss: one minus the soft Dice coefficient between labels and predictions.

    Args:
        reduction: see `Loss`.
        name: defaults to `"dice"`.
        axis: axes summed over for the coefficient; `None` (default) uses all of them.
        dtype: see `Loss`.
    """

    _config_keys = ("axis",)

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "dice",
        axis: int | tuple[int, ...] | None = None,
        dtype: Any = None,
    ):
        super().__init__(dice, reduction, name, dtype, axis=axis)


class Tversky(BuiltinLossWrapper):
    """Tversky loss: a Dice loss with separate weights for false positives and false negatives.

    Args:
        alpha: weight of false positives. Defaults to `0.5`.
        beta: weight of false negatives. Defaults to `0.5` (`alpha = beta = 0.5` is Dice).
        reduction: see `Loss`.
        name: defaults to `"tversky"`.
        axis: axes summed over; `None` (default) uses all of them.
        dtype: see `Loss`.
    """

    _config_keys = ("alpha", "beta", "axis")

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "tversky",
        axis: int | tuple[int, ...] | None = None,
        dtype: Any = None,
    ):
        super().__init__(tversky, reduction, name, dtype, alpha=alpha, beta=beta, axis=axis)
