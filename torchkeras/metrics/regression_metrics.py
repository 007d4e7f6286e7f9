"""Regression metrics: mean squared/absolute (percentage, logarithmic) error, RMSE, cosine
similarity, log-cosh error and the R2 score."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from torchkeras import config
from torchkeras.losses.loss import squeeze_or_expand_to_same_rank
from torchkeras.losses.regression import (
    l2_normalize,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from torchkeras.metrics.metric import Metric
from torchkeras.metrics.reduction_metrics import BuiltinMetricWrapper, Mean
from torchkeras.utils import nest

__all__ = [
    "CosineSimilarity",
    "LogCoshError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "R2Score",
    "RootMeanSquaredError",
    "cosine_similarity",
]


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """Cosine similarity along `axis` (1 for equal directions; the loss is its negative)."""
    y_pred = nest.to_tensor(y_pred)
    y_true = nest.to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return torch.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), dim=axis)


class MeanSquaredError(BuiltinMetricWrapper):
    """Mean of squared errors between labels and predictions.

    Args:
        name: defaults to `"mean_squared_error"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None):
        super().__init__(mean_squared_error, name, dtype)


class MeanAbsoluteError(BuiltinMetricWrapper):
    """Mean of absolute errors between labels and predictions.

    Args:
        name: defaults to `"mean_absolute_error"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None):
        super().__init__(mean_absolute_error, name, dtype)


class MeanAbsolutePercentageError(BuiltinMetricWrapper):
    """Mean absolute error relative to the labels, in percent.

    Args:
        name: defaults to `"mean_absolute_percentage_error"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None):
        super().__init__(mean_absolute_percentage_error, name, dtype)


class MeanSquaredLogarithmicError(BuiltinMetricWrapper):
    """Mean squared error between `log(1 + y_true)` and `log(1 + y_pred)`.

    Args:
        name: defaults to `"mean_squared_logarithmic_error"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None):
        super().__init__(mean_squared_logarithmic_error, name, dtype)


class CosineSimilarity(BuiltinMetricWrapper):
    """Mean cosine similarity between labels and predictions (higher is better).

    Args:
        name: defaults to `"cosine_similarity"`.
        dtype: see `Metric`.
        axis: the axis along which similarity is computed. Defaults to `-1`.
    """

    _direction = "up"

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1):
        super().__init__(cosine_similarity, name, dtype, axis=axis)


class LogCoshError(BuiltinMetricWrapper):
    """Mean logarithm of the hyperbolic cosine of the prediction error.

    Args:
        name: defaults to `"logcosh"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "logcosh", dtype: Any = None):
        super().__init__(log_cosh, name, dtype)


class RootMeanSquaredError(Mean):
    """Square root of the (weighted) mean of squared errors.

    Args:
        name: defaults to `"root_mean_squared_error"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None):
        super().__init__(name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        dtype = config.torch_dtype(self.dtype)
        y_true = nest.to_tensor(y_true, dtype=dtype, device=self._device)
        y_pred = nest.to_tensor(y_pred, dtype=dtype, device=y_true.device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> torch.Tensor:
        return torch.sqrt(super().result())


_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """Coefficient of determination, `1 - SS_residual / SS_total`, per output column.

    Inputs are 2-D, `(batch_size, num_outputs)`.

    Args:
        class_aggregation: `"uniform_average"` (default: mean over outputs),
            `"variance_weighted_average"` (weighted by each output's variance) or `None`
            (one score per output).
        num_regressors: number of independent regressors, for the adjusted R2 score.
            Defaults to `0` (plain R2).
        name: defaults to `"r2_score"`.
        dtype: see `Metric`.
    """

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: Any = None,
    ):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(
                f"`class_aggregation` must be one of {_AGGREGATIONS}. "
                f"Received: class_aggregation={class_aggregation!r}"
            )
        if num_regressors < 0:
            raise ValueError(f"`num_regressors` must be >= 0. Received: num_regressors={num_regressors!r}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape: tuple[int, ...], y_pred_shape: tuple[int, ...]) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input shapes: "
                f"y_pred.shape={tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}."
            )
        num_classes = y_pred_shape[-1]
        self.squared_sum = self.add_variable(shape=(num_classes,), initializer="zeros", name="squared_sum")
        self.sum = self.add_variable(shape=(num_classes,), initializer="zeros", name="sum")
        self.total_mse = self.add_variable(shape=(num_classes,), initializer="zeros", name="residual")
        self.count = self.add_variable(shape=(num_classes,), initializer="zeros", name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        dtype = config.torch_dtype(self.dtype)
        y_true = nest.to_tensor(y_true, dtype=dtype, device=self._device)
        y_pred = nest.to_tensor(y_pred, dtype=dtype, device=y_true.device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        if sample_weight is None:
            weight = torch.ones_like(y_true)  # made on the device: no host-to-device copy
        else:
            weight = nest.to_tensor(sample_weight, dtype=dtype, device=y_true.device)
        if weight.dim() == 1:
            weight = weight.unsqueeze(1)
        weight = weight.expand(y_true.shape)
        weighted_y_true = y_true * weight
        self.sum.assign_add(weighted_y_true.sum(dim=0))
        self.squared_sum.assign_add((y_true * weighted_y_true).sum(dim=0))
        self.total_mse.assign_add((torch.square(y_true - y_pred) * weight).sum(dim=0))
        self.count.assign_add(weight.sum(dim=0))
        self.num_samples.assign_add(y_true.numel())

    def result(self) -> torch.Tensor:
        if not self._built:
            return torch.zeros((), dtype=config.torch_dtype(self.dtype))
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw_scores = 1 - self.total_mse / total
        raw_scores = torch.where(torch.isinf(raw_scores), 0.0, raw_scores)
        if self.class_aggregation == "uniform_average":
            r2_score = torch.mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            r2_score = torch.sum(total * raw_scores) / torch.sum(total)
        else:
            r2_score = raw_scores
        if self.num_regressors == 0:
            return r2_score
        num_samples = float(self.num_samples)  # reads the count on the host, as Keras does
        if self.num_regressors > num_samples - 1:
            warnings.warn(
                "More independent predictors than datapoints in adjusted R2 score. "
                "Falling back to standard R2 score.",
                stacklevel=2,
            )
        elif self.num_regressors == num_samples - 1:
            warnings.warn(
                "Division by zero in Adjusted R2 score. Falling back to standard R2 score.", stacklevel=2
            )
        else:
            n, p = num_samples, float(self.num_regressors)
            r2_score = 1.0 - (1.0 - r2_score) * (n - 1.0) / (n - p - 1.0)
        return r2_score

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
