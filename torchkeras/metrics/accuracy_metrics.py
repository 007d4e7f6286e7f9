"""Accuracy metrics: exact, binary, categorical, sparse categorical and top-k accuracy."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config
from torchkeras.losses.loss import exact_integer_limit, squeeze_or_expand_to_same_rank
from torchkeras.metrics.reduction_metrics import BuiltinMetricWrapper
from torchkeras.utils import nest

__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]


def _matches(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.eq(a, b).to(config.torch_dtype(None))


def accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """1.0 where `y_pred` equals `y_true` exactly, else 0.0."""
    y_pred = nest.to_tensor(y_pred)
    y_true = nest.to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _matches(y_true, y_pred)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> torch.Tensor:
    """1.0 where `y_pred > threshold` agrees with the binary `y_true`, else 0.0."""
    y_pred = nest.to_tensor(y_pred)
    y_true = nest.to_tensor(y_true, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _matches(y_true, (y_pred > threshold).to(y_true.dtype))


def categorical_accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """1.0 where the arg-max of `y_pred` is the arg-max of the one-hot `y_true`, else 0.0."""
    y_pred = nest.to_tensor(y_pred)
    y_true = torch.argmax(nest.to_tensor(y_true, device=y_pred.device), dim=-1).to(y_pred.dtype)
    original_shape = y_true.shape
    reshape_matches = y_true.dim() == y_pred.dim()
    if reshape_matches:
        y_true = y_true.squeeze(-1)
    matches = _matches(y_true, torch.argmax(y_pred, dim=-1).to(y_true.dtype))
    return matches.reshape(original_shape) if reshape_matches else matches


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """1.0 where the arg-max of `y_pred` equals the integer label `y_true`, else 0.0."""
    y_pred = nest.to_tensor(y_pred)
    y_true = nest.to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device)
    original_shape = y_true.shape
    reshape_matches = y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1
    if reshape_matches:
        y_true = y_true.squeeze(-1)
    matches = _matches(y_true, torch.argmax(y_pred, dim=-1).to(y_true.dtype))
    if reshape_matches:
        matches = matches.reshape(original_shape)
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def _in_top_k(targets: torch.Tensor, predictions: torch.Tensor, k: int) -> torch.Tensor:
    """Whether each target's score is at least the k-th largest score of its row (ties count)."""
    top_values = torch.topk(predictions, k).values
    target_values = torch.take_along_dim(predictions, targets.long()[:, None], dim=-1)
    return torch.any(target_values >= top_values, dim=-1)


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> torch.Tensor:
    """1.0 where the one-hot target class is among the `k` highest-scored classes, else 0.0."""
    y_pred = nest.to_tensor(y_pred)
    y_true = torch.argmax(nest.to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device), dim=-1)
    original_shape = y_true.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    matches = _in_top_k(y_true.reshape(-1), y_pred, k).to(config.torch_dtype(None))
    return matches.reshape(original_shape) if len(original_shape) > 1 else matches


def sparse_top_k_categorical_accuracy(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> torch.Tensor:
    """1.0 where the integer label is among the `k` highest-scored classes, else 0.0.

    With `from_sorted_ids=True`, `y_pred` already holds class ids sorted by score.
    """
    y_pred = nest.to_tensor(y_pred)
    y_true = nest.to_tensor(
        y_true, dtype=y_pred.dtype if from_sorted_ids else torch.int32, device=y_pred.device
    )
    original_shape = y_true.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    y_true = y_true.reshape(-1) if y_true.dim() > 1 else y_true
    if from_sorted_ids:
        matches = torch.any(y_true[:, None] == y_pred[:, :k], dim=1)
    else:
        matches = _in_top_k(y_true, y_pred, k)
    matches = matches.to(config.torch_dtype(None))
    return matches.reshape(original_shape) if len(original_shape) > 1 else matches


def _countable(y_true: Any, y_pred: Any, dtype: torch.dtype) -> bool:
    """Whether a batch may take the counting shortcut: two tensors on one device, 2-D real
    predictions, and few enough samples that a count of matches is exact in `dtype`."""
    return (
        isinstance(y_true, torch.Tensor)
        and isinstance(y_pred, torch.Tensor)
        and y_pred.dim() == 2
        and y_pred.is_floating_point()
        and y_true.device == y_pred.device
        and y_pred.shape[0] <= exact_integer_limit(dtype)
    )


def _exact_labels(labels: torch.Tensor, num_classes: int, dtype: torch.dtype) -> bool:
    """Whether comparing `labels` with class ids as they are gives what comparing them after a
    cast to `dtype` gives: same float dtype, or integers with every class id exact in `dtype`."""
    if labels.is_floating_point():
        return labels.dtype == dtype
    return not labels.is_complex() and num_classes <= exact_integer_limit(dtype)


class _AccuracyWrapper(BuiltinMetricWrapper):
    """Accuracy metrics go up."""

    _direction = "up"


class Accuracy(_AccuracyWrapper):
    """How often predictions equal labels exactly.

    Args:
        name: defaults to `"accuracy"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None):
        super().__init__(accuracy, name, dtype)


class BinaryAccuracy(_AccuracyWrapper):
    """How often `y_pred > threshold` matches the binary labels.

    Args:
        name: defaults to `"binary_accuracy"`.
        dtype: see `Metric`.
        threshold: the decision threshold. Defaults to `0.5`.
    """

    _config_keys = ("threshold",)

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)

    def _batch_matches(self, y_true: Any, y_pred: Any) -> torch.Tensor | None:
        if self._fn is not binary_accuracy or not _countable(y_true, y_pred, self._torch_dtype):
            return None
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if y_true.shape != y_pred.shape or y_pred.numel() != y_pred.shape[0]:
            return None  # several values per sample are averaged first
        # `eq` promotes the booleans to `y_true`'s dtype, the cast `binary_accuracy` makes.
        return torch.eq(y_true, y_pred > self._fn_kwargs["threshold"])


class CategoricalAccuracy(_AccuracyWrapper):
    """How often the arg-max of the predictions matches the one-hot labels.

    Args:
        name: defaults to `"categorical_accuracy"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None):
        super().__init__(categorical_accuracy, name, dtype)

    def _batch_matches(self, y_true: Any, y_pred: Any) -> torch.Tensor | None:
        if self._fn is not categorical_accuracy or not _countable(y_true, y_pred, self._torch_dtype):
            return None
        if y_true.dim() != 2 or y_true.shape[0] != y_pred.shape[0] or y_true.dtype == torch.bool:
            return None
        if max(y_true.shape[1], y_pred.shape[1]) > exact_integer_limit(y_pred.dtype):
            return None  # class ids are compared after a cast to `y_pred`'s dtype
        return torch.eq(torch.argmax(y_true, dim=-1), torch.argmax(y_pred, dim=-1))


class SparseCategoricalAccuracy(_AccuracyWrapper):
    """How often the arg-max of the predictions matches the integer labels.

    Args:
        name: defaults to `"sparse_categorical_accuracy"`.
        dtype: see `Metric`.
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None):
        super().__init__(sparse_categorical_accuracy, name, dtype)

    def _batch_matches(self, y_true: Any, y_pred: Any) -> torch.Tensor | None:
        if self._fn is not sparse_categorical_accuracy or not _countable(y_true, y_pred, self._torch_dtype):
            return None
        if y_true.dim() == 2 and y_true.shape[1] == 1:
            y_true = y_true.squeeze(-1)
        batch, classes = y_pred.shape
        if y_true.dim() != 1 or y_true.shape[0] != batch or not _exact_labels(y_true, classes, y_pred.dtype):
            return None
        return y_true == y_pred.argmax(-1)


class TopKCategoricalAccuracy(_AccuracyWrapper):
    """How often the one-hot target class is among the `k` highest predictions.

    Args:
        k: how many top predictions count. Defaults to `5`.
        name: defaults to `"top_k_categorical_accuracy"`.
        dtype: see `Metric`.
    """

    _config_keys = ("k",)

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(top_k_categorical_accuracy, name, dtype, k=k)


class SparseTopKCategoricalAccuracy(_AccuracyWrapper):
    """How often the integer target class is among the `k` highest predictions.

    Args:
        k: how many top predictions count. Defaults to `5`.
        name: defaults to `"sparse_top_k_categorical_accuracy"`.
        dtype: see `Metric`.
        from_sorted_ids: whether `y_pred` holds class ids sorted by score rather than scores.
    """

    _config_keys = ("k",)

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: Any = None,
        from_sorted_ids: bool = False,
    ):
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=k, from_sorted_ids=from_sorted_ids)
        self.from_sorted_ids = from_sorted_ids

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
