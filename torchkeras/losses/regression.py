"""Regression losses: mean squared/absolute (percentage, logarithmic) error, Huber, log-cosh, cosine."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from torchkeras import config
from torchkeras.losses.loss import BuiltinLossWrapper, squeeze_or_expand_to_same_rank
from torchkeras.utils import nest

__all__ = [
    "CosineSimilarity",
    "Huber",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "cosine_similarity",
    "huber",
    "l2_normalize",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
]


def _aligned(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Tensors of `y_pred`'s dtype and device, with ranks aligned as Keras does."""
    y_pred = nest.to_tensor(y_pred)
    y_true = nest.to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def l2_normalize(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """`x` divided by its L2 norm along `axis` (the norm floored at `epsilon`), as Keras does."""
    if x.dim() == 0:
        x = x.unsqueeze(0)
    inv_norm = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
    return x * torch.clamp(inv_norm, max=1.0 / config.epsilon())


def mean_squared_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(square(y_true - y_pred))` over the last axis."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return torch.mean(torch.square(y_true - y_pred), dim=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(abs(y_true - y_pred))` over the last axis."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return torch.mean(torch.abs(y_true - y_pred), dim=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)))` over the last axis."""
    y_true, y_pred = _aligned(y_true, y_pred)
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=config.epsilon()))
    return 100.0 * torch.mean(diff, dim=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(square(log(y_pred + 1) - log(y_true + 1)))` over the last axis (inputs floored at eps)."""
    y_true, y_pred = _aligned(y_true, y_pred)
    epsilon = config.epsilon()
    first_log = torch.log(torch.clamp(y_pred, min=epsilon) + 1.0)
    second_log = torch.log(torch.clamp(y_true, min=epsilon) + 1.0)
    return torch.mean(torch.square(first_log - second_log), dim=-1)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """Negative cosine similarity along `axis`: -1 for equal directions, 0 for orthogonal ones."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return -torch.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), dim=axis)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> torch.Tensor:
    """Huber loss over the last axis: quadratic for errors up to `delta`, linear beyond."""
    y_true, y_pred = _aligned(y_true, y_pred)
    error = y_pred - y_true
    abs_error = torch.abs(error)
    quadratic = 0.5 * torch.square(error)
    linear = delta * abs_error - 0.5 * delta**2
    return torch.mean(torch.where(abs_error <= delta, quadratic, linear), dim=-1)


def log_cosh(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(log(cosh(y_pred - y_true)))` over the last axis, computed without overflow."""
    y_true, y_pred = _aligned(y_true, y_pred)
    x = y_pred - y_true
    return torch.mean(x + F.softplus(x * -2.0) - math.log(2.0), dim=-1)


class MeanSquaredError(BuiltinLossWrapper):
    """Mean of squares of errors between labels and predictions.

    Args:
        reduction: see `Loss`.
        name: defaults to `"mean_squared_error"`.
        dtype: see `Loss`.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_error",
        dtype: Any = None,
    ):
        super().__init__(mean_squared_error, reduction, name, dtype)


class MeanAbsoluteError(BuiltinLossWrapper):
    """Mean of absolute errors between labels and predictions.

    Args:
        reduction: see `Loss`.
        name: defaults to `"mean_absolute_error"`.
        dtype: see `Loss`.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_error",
        dtype: Any = None,
    ):
        super().__init__(mean_absolute_error, reduction, name, dtype)


class MeanAbsolutePercentageError(BuiltinLossWrapper):
    """Mean absolute error relative to the labels, in percent.

    Args:
        reduction: see `Loss`.
        name: defaults to `"mean_absolute_percentage_error"`.
        dtype: see `Loss`.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_percentage_error",
        dtype: Any = None,
    ):
        super().__init__(mean_absolute_percentage_error, reduction, name, dtype)


class MeanSquaredLogarithmicError(BuiltinLossWrapper):
    """Mean squared error between `log(1 + y_true)` and `log(1 + y_pred)`.

    Args:
        reduction: see `Loss`.
        name: defaults to `"mean_squared_logarithmic_error"`.
        dtype: see `Loss`.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_logarithmic_error",
        dtype: Any = None,
    ):
        super().__init__(mean_squared_logarithmic_error, reduction, name, dtype)


class CosineSimilarity(BuiltinLossWrapper):
    """Negative cosine similarity between labels and predictions (minimizing aligns them).

    Args:
        axis: the axis along which similarity is computed. Defaults to `-1`.
        reduction: see `Loss`.
        name: defaults to `"cosine_similarity"`.
        dtype: see `Loss`.
    """

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "cosine_similarity",
        dtype: Any = None,
    ):
        super().__init__(cosine_similarity, reduction, name, dtype, axis=axis)


class Huber(BuiltinLossWrapper):
    """Huber loss: `0.5 * e**2` for `|e| <= delta`, else `delta * (|e| - 0.5 * delta)`.

    Args:
        delta: where the loss changes from quadratic to linear. Defaults to `1.0`.
        reduction: see `Loss`.
        name: defaults to `"huber_loss"`.
        dtype: see `Loss`.
    """

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "huber_loss",
        dtype: Any = None,
    ):
        super().__init__(huber, reduction, name, dtype, delta=delta)


class LogCosh(BuiltinLossWrapper):
    """Logarithm of the hyperbolic cosine of the prediction error.

    Args:
        reduction: see `Loss`.
        name: defaults to `"log_cosh"`.
        dtype: see `Loss`.
    """

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str = "log_cosh", dtype: Any = None
    ):
        super().__init__(log_cosh, reduction, name, dtype)
