"""Intersection-over-union metrics for segmentation: IoU, BinaryIoU, MeanIoU and one-hot variants."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch

from torchkeras import config
from torchkeras.metrics.metric import Metric
from torchkeras.metrics.metrics_utils import confusion_matrix
from torchkeras.utils import nest

__all__ = ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]


class IoU(Metric):
    """Mean intersection-over-union, `TP / (TP + FP + FN)`, over the `target_class_ids`.

    Accumulates a `(num_classes, num_classes)` confusion matrix (rows: labels, columns:
    predictions). Classes absent from both labels and predictions are left out of the mean.

    Args:
        num_classes: number of classes (a confusion matrix of `num_classes**2` is kept).
        target_class_ids: the class ids averaged over.
        name: defaults to the snake_case class name.
        dtype: dtype of the confusion matrix. Defaults to `"int32"`.
        ignore_class: a label whose entries are skipped.
        sparse_y_true: whether labels are class ids (else one-hot, arg-maxed on `axis`).
        sparse_y_pred: whether predictions are class ids (else scores, arg-maxed on `axis`).
        axis: the class axis for non-sparse inputs. Defaults to `-1`.
    """

    # The config, in Keras's order: each IoU metric lists the arguments it takes.
    _config_keys: tuple[str, ...] = (
        "name",
        "dtype",
        "num_classes",
        "target_class_ids",
        "ignore_class",
        "sparse_y_true",
        "sparse_y_pred",
        "axis",
    )

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        super().__init__(name=name, dtype=dtype or "int32")
        self._direction = "up"
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            shape=(num_classes, num_classes),
            initializer="zeros",
            dtype=self.dtype,
            name="total_confusion_matrix",
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is [0, {num_classes})."
            )
        self.target_class_ids = list(target_class_ids)
        self._target_ids = torch.tensor(self.target_class_ids, dtype=torch.int64, device=self.total_cm.device)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        dtype = config.torch_dtype(self.dtype)
        y_true = nest.to_tensor(y_true, device=self._device)
        y_pred = nest.to_tensor(y_pred, device=y_true.device)
        if not self.sparse_y_true:
            y_true = torch.argmax(y_true, dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = torch.argmax(y_pred, dim=self.axis)
        y_true = y_true.to(dtype).reshape(-1)
        y_pred = y_pred.to(dtype).reshape(-1)
        if sample_weight is None:
            sample_weight = torch.ones_like(y_true)  # made on the device: no host-to-device copy
        elif "float" in str(getattr(sample_weight, "dtype", "")) and not dtype.is_floating_point:
            warnings.warn(
                "You are passing weight as `float`, but dtype is `int`. This may result in an incorrect "
                "weight due to type casting. Consider using integer weights.",
                stacklevel=2,
            )
        weight = (
            nest.to_tensor(sample_weight, dtype=dtype, device=y_true.device).reshape(-1).expand(y_true.shape)
        )
        in_bounds = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            in_bounds = in_bounds & (y_true != self.ignore_class)
        y_true = torch.where(in_bounds, y_true, 0)
        y_pred = torch.where(in_bounds, y_pred, 0)
        weight = torch.where(in_bounds, weight, 0).to(dtype)
        self.total_cm.assign_add(confusion_matrix(y_true, y_pred, self.num_classes, weights=weight))

    def reset_state(self) -> None:
        self.total_cm.assign(0)

    def to(self, device: torch.device | str) -> IoU:
        super().to(device)
        self._target_ids = self._target_ids.to(self.total_cm.device)  # kept beside the state
        return self

    def result(self) -> torch.Tensor:
        cm = self.total_cm.value
        true_positives = torch.diagonal(cm)
        denominator = cm.sum(dim=0) + cm.sum(dim=1) - true_positives
        true_positives = true_positives[self._target_ids].to(torch.float32)
        denominator = denominator[self._target_ids].to(torch.float32)
        valid = denominator > 1e-9
        iou = torch.where(valid, true_positives / (denominator + config.epsilon()), 0.0)
        return iou.sum() / (valid.to(torch.float32).sum() + config.epsilon())

    def get_config(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self._config_keys}


class BinaryIoU(IoU):
    """IoU for binary problems: predictions `>= threshold` are class 1, others class 0.

    Args:
        target_class_ids: which of the classes `(0, 1)` to average over. Defaults to both.
        threshold: the decision threshold. Defaults to `0.5`.
        name: defaults to `"binary_io_u"`.
        dtype: see `IoU`.
    """

    _config_keys = ("target_class_ids", "threshold", "name", "dtype")

    def __init__(
        self,
        target_class_ids: Sequence[int] = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = nest.to_tensor(y_pred, dtype=torch.float32, device=self._device)
        super().update_state(
            y_true, (y_pred >= self.threshold).to(config.torch_dtype(self.dtype)), sample_weight
        )


class MeanIoU(IoU):
    """IoU averaged over all `num_classes` classes.

    Args:
        num_classes: number of classes.
        name: defaults to `"mean_io_u"`.
        dtype, ignore_class, sparse_y_true, sparse_y_pred, axis: see `IoU`.

    Example:
    ```python
    metric = MeanIoU(num_classes=2)
    metric.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
    metric.result()  # tensor(0.3333)
    ```
    """

    _config_keys = ("num_classes", "name", "dtype", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis")

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        target_class_ids = list(range(num_classes))
        super().__init__(
            num_classes, target_class_ids, name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis
        )


class OneHotIoU(IoU):
    """IoU over `target_class_ids` for one-hot labels (and, by default, score predictions).

    Args:
        num_classes, target_class_ids, name, dtype, ignore_class, axis: see `IoU`.
        sparse_y_pred: whether predictions are class ids. Defaults to `False`.
    """

    _config_keys = (
        "num_classes",
        "target_class_ids",
        "name",
        "dtype",
        "ignore_class",
        "sparse_y_pred",
        "axis",
    )

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ):
        super().__init__(num_classes, target_class_ids, name, dtype, ignore_class, False, sparse_y_pred, axis)


class OneHotMeanIoU(MeanIoU):
    """IoU averaged over all classes, for one-hot labels (and, by default, score predictions).

    Args:
        num_classes, name, dtype, ignore_class, axis: see `IoU`.
        sparse_y_pred: whether predictions are class ids. Defaults to `False`.
    """

    _config_keys = ("num_classes", "name", "dtype", "ignore_class", "sparse_y_pred", "axis")

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ):
        super().__init__(num_classes, name, dtype, ignore_class, False, sparse_y_pred, axis)
