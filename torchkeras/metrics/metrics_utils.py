"""Confusion-matrix bookkeeping shared by the threshold metrics (Precision, Recall, AUC, ...)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.losses.loss import squeeze_or_expand_to_same_rank
from torchkeras.metrics.metric import MetricVariable
from torchkeras.utils import nest

__all__ = [
    "CONFUSION_KEYS",
    "NEG_INF",
    "confusion_matrix",
    "is_evenly_distributed_thresholds",
    "parse_init_thresholds",
    "update_confusion_matrix_variables",
]

NEG_INF = -1e10
CONFUSION_KEYS = ("tp", "fp", "tn", "fn")


def _to_list(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple, np.ndarray)) else [x]


def parse_init_thresholds(thresholds: Any, default_threshold: float = 0.5) -> list[float]:
    """Returns `thresholds` (or `[default_threshold]`) as a list, checking each lies in `[0, 1]`."""
    if thresholds is not None:
        bad = [t for t in _to_list(thresholds) if t is None or t < 0 or t > 1]
        if bad:
            raise ValueError(f"`thresholds` must all be in [0, 1]. Received: thresholds={bad}")
    return _to_list(default_threshold if thresholds is None else thresholds)


def is_evenly_distributed_thresholds(thresholds: Sequence[float]) -> bool:
    """Whether thresholds are `0, 1/(n-1), ..., 1` (n >= 3), which allows bucketing predictions."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def _filter_top_k(x: torch.Tensor, k: int) -> torch.Tensor:
    """Keeps the `k` largest entries of the last axis and sets the others to `NEG_INF`."""
    indices = torch.topk(x, k).indices
    keep = torch.zeros_like(x).scatter_(-1, indices, 1.0)
    return x * keep + NEG_INF * (1 - keep)


def _reverse_cumsum(x: torch.Tensor, dim: int) -> torch.Tensor:
    return torch.flip(torch.cumsum(torch.flip(x, (dim,)), dim=dim), (dim,))


def _update_by_buckets(
    variables: Mapping[str, MetricVariable],
    y_true: torch.Tensor,
    y_pred: torch.Tensor,
    num_thresholds: int,
    multi_label: bool,
    sample_weight: torch.Tensor | None,
    label_weights: torch.Tensor | None,
    thresholds_with_epsilon: bool,
) -> None:
    """Counts for evenly spaced thresholds in O(n): each prediction falls in one bucket, and the
    counts above each threshold are reverse cumulative sums over buckets."""
    weights = torch.ones((), dtype=y_true.dtype, device=y_true.device)
    if sample_weight is not None:
        weights = sample_weight.to(y_pred.dtype).expand(y_pred.shape)
        weights = weights if multi_label else weights.reshape(-1)
    if label_weights is not None:
        label_weights = label_weights.unsqueeze(0).expand(y_pred.shape)
        weights = weights * (label_weights if multi_label else label_weights.reshape(-1))
    y_pred = torch.clip(y_pred, 0.0, 1.0)
    y_true = y_true.bool().to(y_true.dtype)
    if not multi_label:
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights
    buckets = torch.ceil(y_pred * (num_thresholds - 1.0)) - 1
    if thresholds_with_epsilon:
        buckets = torch.relu(buckets)
    buckets = buckets.to(torch.int64)
    buckets = torch.where(buckets < 0, num_thresholds, buckets)  # below every threshold: dropped
    if multi_label:  # one row of buckets per label
        num_labels = y_pred.shape[-1]
        offsets = torch.arange(num_labels, device=buckets.device) * (num_thresholds + 1)
        buckets = (buckets + offsets).reshape(-1)
        true_labels, false_labels = true_labels.reshape(-1), false_labels.reshape(-1)
        size, shape = num_labels * (num_thresholds + 1), (num_labels, num_thresholds + 1)
    else:
        size, shape = num_thresholds + 1, (num_thresholds + 1,)

    def bucket_sums(values: torch.Tensor) -> torch.Tensor:
        sums = torch.zeros(size, dtype=values.dtype, device=values.device).index_add_(0, buckets, values)
        return sums.reshape(shape)[..., :num_thresholds]

    tp = _reverse_cumsum(bucket_sums(true_labels), dim=-1)
    fp = _reverse_cumsum(bucket_sums(false_labels), dim=-1)
    if multi_label:
        tp, fp = tp.T, fp.T
    axis = 0 if multi_label else None
    updates = {"tp": lambda: tp, "fp": lambda: fp}
    updates["tn"] = lambda: _sum(false_labels.reshape(y_pred.shape), axis) - fp
    updates["fn"] = lambda: _sum(true_labels.reshape(y_pred.shape), axis) - tp
    for key, variable in variables.items():
        variable.assign_add(updates[key]())


def _sum(x: torch.Tensor, axis: int | None) -> torch.Tensor:
    return x.sum() if axis is None else x.sum(dim=axis)


def _update_by_comparison(
    variables: Mapping[str, MetricVariable],
    y_true: torch.Tensor,
    y_pred: torch.Tensor,
    thresholds: torch.Tensor,
    multi_label: bool,
    sample_weight: torch.Tensor | None,
    label_weights: torch.Tensor | None,
) -> None:
    """Counts for arbitrary thresholds by comparing every prediction with every threshold."""
    if multi_label:
        preds, labels = y_pred.unsqueeze(0), y_true.bool().unsqueeze(0)
        thresh = thresholds.reshape(-1, 1, 1)
    else:
        preds, labels = y_pred.reshape(1, -1), y_true.bool().reshape(1, -1)
        thresh = thresholds.reshape(-1, 1)
    pred_is_pos = preds > thresh
    weights = None
    if sample_weight is not None:
        weights = sample_weight.to(y_pred.dtype).expand(y_pred.shape)
        weights = weights.unsqueeze(0) if multi_label else weights.reshape(1, -1)
    if label_weights is not None and not multi_label:
        label_weights = label_weights.unsqueeze(0).expand(y_pred.shape).reshape(1, -1)
        weights = label_weights if weights is None else weights * label_weights
    conditions = {
        "tp": lambda: labels & pred_is_pos,
        "fp": lambda: ~labels & pred_is_pos,
        "tn": lambda: ~labels & ~pred_is_pos,
        "fn": lambda: labels & ~pred_is_pos,
    }
    for key, variable in variables.items():
        hits = conditions[key]()
        if weights is None:
            counts = hits.to(variable.dtype)
        else:
            counts = torch.where(hits, weights.to(variable.dtype), 0.0)
        variable.assign_add(counts.sum(dim=1))


@functools.lru_cache(maxsize=64)
def _thresholds_tensor(
    thresholds: tuple[float, ...], dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Thresholds on the device, made once (a host-to-device copy every step would wait on the GPU)."""
    return torch.tensor(thresholds, dtype=torch.float64).to(device=device, dtype=dtype)


def update_confusion_matrix_variables(
    variables_to_update: Mapping[str, MetricVariable],
    y_true: Any,
    y_pred: Any,
    thresholds: Sequence[float] | np.ndarray,
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: Any = None,
    multi_label: bool = False,
    label_weights: Any = None,
    thresholds_distributed_evenly: bool = False,
) -> None:
    """Adds this batch's true/false positive/negative counts, per threshold, to the variables.

    A prediction is positive at a threshold when it is strictly greater than it. Keys of
    `variables_to_update` are `"tp"`, `"fp"`, `"tn"`, `"fn"`. Follows Keras's rules for ranks,
    `top_k` (keep the k best scores), `class_id` (one column), and sample/label weights.
    """
    if multi_label and label_weights is not None:
        raise ValueError("`label_weights` must be applied by the caller when `multi_label` is True.")
    invalid_keys = [key for key in variables_to_update if key not in CONFUSION_KEYS]
    if invalid_keys or not variables_to_update:
        raise ValueError(
            f"Confusion-matrix keys must be among {CONFUSION_KEYS}. Received: {list(variables_to_update)}"
        )
    first = next(iter(variables_to_update.values()))
    dtype, device = first.dtype, first.device
    y_true = nest.to_tensor(y_true, device=device).to(dtype)
    y_pred = nest.to_tensor(y_pred, device=device).to(dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = nest.to_tensor(sample_weight, dtype=dtype, device=device).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if label_weights is not None:
        label_weights = nest.to_tensor(label_weights, dtype=dtype, device=device)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.dim() == 1:
            raise ValueError(
                "When `class_id` is given, `y_pred` must have shape (num_samples, num_classes). "
                f"Received: y_pred.shape={tuple(y_pred.shape)}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if thresholds_distributed_evenly:
        with_epsilon = bool(thresholds[0] < 0.0 or thresholds[-1] > 1.0)
        _update_by_buckets(
            variables_to_update,
            y_true,
            y_pred,
            len(thresholds),
            multi_label,
            sample_weight,
            label_weights,
            with_epsilon,
        )
        return
    thresholds = _thresholds_tensor(tuple(float(t) for t in thresholds), dtype, device)
    _update_by_comparison(
        variables_to_update, y_true, y_pred, thresholds, multi_label, sample_weight, label_weights
    )


def confusion_matrix(
    labels: torch.Tensor, predictions: torch.Tensor, num_classes: int, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """The `(num_classes, num_classes)` matrix counting (weighted) label/prediction pairs;
    rows are labels, columns predictions. Inputs are 1-D integer class ids in range."""
    index = labels.long() * num_classes + predictions.long()
    values = torch.ones_like(index, dtype=weights.dtype if weights is not None else torch.int64)
    if weights is not None:
        values = weights.expand(index.shape)
    matrix = torch.zeros(num_classes * num_classes, dtype=values.dtype, device=index.device)
    return matrix.index_add_(0, index, values).reshape(num_classes, num_classes)
