"""Probabilistic metrics: the mean cross-entropies, KL divergence and Poisson loss over batches."""

from __future__ import annotations

from typing import Any

from torchkeras.losses.probabilistic import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from torchkeras.metrics.reduction_metrics import BuiltinMetricWrapper

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
    "SparseCategoricalCrossentropy",
]


class KLDivergence(BuiltinMetricWrapper):
    """Mean Kullback-Leibler divergence between target and predicted distributions.

    Args:
        name: defaults to `"kl_divergence"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "kl_divergence", dtype: Any = None):
        super().__init__(kl_divergence, name, dtype)


class Poisson(BuiltinMetricWrapper):
    """Mean Poisson loss, `y_pred - y_true * log(y_pred)`.

    Args:
        name: defaults to `"poisson"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "poisson", dtype: Any = None):
        super().__init__(poisson, name, dtype)


class BinaryCrossentropy(BuiltinMetricWrapper):
    """Mean binary cross-entropy between labels and predictions.

    Args:
        name: defaults to `"binary_crossentropy"`.
        dtype: see `Metric`.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: in `[0, 1]`; targets move towards 0.5 by this amount.
    """

    _config_keys = ("from_logits", "label_smoothing")

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
    ):
        super().__init__(
            binary_crossentropy, name, dtype, from_logits=from_logits, label_smoothing=label_smoothing
        )


class CategoricalCrossentropy(BuiltinMetricWrapper):
    """Mean categorical cross-entropy between one-hot labels and predictions.

    Args:
        name: defaults to `"categorical_crossentropy"`.
        dtype: see `Metric`.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: in `[0, 1]`; targets become `y * (1 - s) + s / num_classes`.
        axis: the class axis. Defaults to `-1`.
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
        axis: int = -1,
    ):
        super().__init__(
            categorical_crossentropy,
            name,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(BuiltinMetricWrapper):
    """Mean cross-entropy between integer labels and predictions.

    Args:
        name: defaults to `"sparse_categorical_crossentropy"`.
        dtype: see `Metric`.
        from_logits: whether `y_pred` holds logits.
        ignore_class: a label whose entries are left out when sample weights are given (as in Keras).
        axis: the class axis. Defaults to `-1`.
    """

    _config_keys = ("from_logits", "ignore_class", "axis")

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            name,
            dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
