"""Correlation metrics: Pearson and concordance correlation coefficients, averaged over batches."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config
from torchkeras.losses.loss import squeeze_or_expand_to_same_rank
from torchkeras.metrics.reduction_metrics import BuiltinMetricWrapper
from torchkeras.utils import nest

__all__ = ["ConcordanceCorrelation", "PearsonCorrelation", "concordance_correlation", "pearson_correlation"]


def _aligned(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    y_pred = nest.to_tensor(y_pred)
    y_true = nest.to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """Pearson correlation coefficient between `y_true` and `y_pred` along `axis`."""
    y_true, y_pred = _aligned(y_true, y_pred)
    y_true_norm = y_true - torch.mean(y_true, dim=axis, keepdim=True)
    y_pred_norm = y_pred - torch.mean(y_pred, dim=axis, keepdim=True)
    y_true_norm = y_true_norm / torch.std(y_true_norm, dim=axis, keepdim=True, correction=0)
    y_pred_norm = y_pred_norm / torch.std(y_pred_norm, dim=axis, keepdim=True, correction=0)
    return torch.mean(y_true_norm * y_pred_norm, dim=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """Concordance correlation coefficient between `y_true` and `y_pred` along `axis`.

    Computed as Keras does, with the covariance term centred on the mean of `y_pred`.
    """
    y_true, y_pred = _aligned(y_true, y_pred)
    y_true_mean = torch.mean(y_true, dim=axis, keepdim=True)
    y_pred_mean = torch.mean(y_pred, dim=axis, keepdim=True)
    y_true_var = torch.var(y_true - y_true_mean, dim=axis, keepdim=True, correction=0)
    y_pred_var = torch.var(y_pred - y_pred_mean, dim=axis, keepdim=True, correction=0)
    covar = (y_true - y_pred_mean) * (y_pred - y_pred_mean)
    norm = y_true_var + y_pred_var + torch.square(y_true_mean - y_pred_mean)
    return torch.mean(2 * covar / (norm + config.epsilon()), dim=axis)


class _CorrelationMetric(BuiltinMetricWrapper):
    """Correlations go up; their config adds `axis`."""

    _config_keys = ("axis",)
    _direction = "up"


class PearsonCorrelation(_CorrelationMetric):
    """Mean Pearson correlation coefficient, computed per sample along `axis`.

    Args:
        name: defaults to `"pearson_correlation"`.
        dtype: see `Metric`.
        axis: the axis along which correlation is computed. Defaults to `-1`.
    """

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None, axis: int = -1):
        super().__init__(pearson_correlation, name, dtype, axis=axis)


class ConcordanceCorrelation(_CorrelationMetric):
    """Mean concordance correlation coefficient, computed per sample along `axis`.

    Args:
        name: defaults to `"concordance_correlation"`.
        dtype: see `Metric`.
        axis: the axis along which correlation is computed. Defaults to `-1`.
    """

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None, axis: int = -1):
        super().__init__(concordance_correlation, name, dtype, axis=axis)
