"""Hinge metrics: the mean hinge, squared hinge and categorical hinge losses over batches."""

from __future__ import annotations

from typing import Any

from torchkeras.losses.hinge import categorical_hinge, hinge, squared_hinge
from torchkeras.metrics.reduction_metrics import BuiltinMetricWrapper

__all__ = ["CategoricalHinge", "Hinge", "SquaredHinge"]


class Hinge(BuiltinMetricWrapper):
    """Mean hinge loss; 0/1 labels are converted to -1/1.

    Args:
        name: defaults to `"hinge"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "hinge", dtype: Any = None):
        super().__init__(hinge, name, dtype)


class SquaredHinge(BuiltinMetricWrapper):
    """Mean squared hinge loss; 0/1 labels are converted to -1/1.

    Args:
        name: defaults to `"squared_hinge"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "squared_hinge", dtype: Any = None):
        super().__init__(squared_hinge, name, dtype)


class CategoricalHinge(BuiltinMetricWrapper):
    """Mean categorical hinge loss between one-hot labels and class scores.

    Args:
        name: defaults to `"categorical_hinge"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None):
        super().__init__(categorical_hinge, name, dtype)
