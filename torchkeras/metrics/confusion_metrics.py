"""Threshold metrics built on confusion-matrix counts: TP/FP/TN/FN, Precision, Recall,
sensitivity/specificity/precision/recall at a fixed operating point, and AUC."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.metrics import metrics_utils
from torchkeras.metrics.metric import Metric
from torchkeras.utils import nest
from torchkeras.utils.validation import check_choice

__all__ = [
    "AUC",
    "FalseNegatives",
    "FalsePositives",
    "Precision",
    "PrecisionAtRecall",
    "Recall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "TrueNegatives",
    "TruePositives",
    "divide_no_nan",
]


def divide_no_nan(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """`x / y`, with 0 wherever `y` is 0."""
    return torch.where(y == 0, 0.0, x / torch.where(y == 0, torch.ones_like(y), y))


class _ConfusionMatrixConditionCount(Metric):
    """Counts one confusion-matrix cell (`"tp"`, `"fp"`, `"tn"` or `"fn"`) at each threshold."""

    def __init__(
        self, confusion_matrix_cond: str, thresholds: Any = None, name: str | None = None, dtype: Any = None
    ):
        super().__init__(name=name, dtype=dtype)
        self._confusion_matrix_cond = confusion_matrix_cond
        self.init_thresholds = thresholds
        self.thresholds = metrics_utils.parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = metrics_utils.is_evenly_distributed_thresholds(self.thresholds)
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", name="accumulator"
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        metrics_utils.update_confusion_matrix_variables(
            {self._confusion_matrix_cond: self.accumulator},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
        )

    def result(self) -> torch.Tensor:
        value = self.accumulator[0] if len(self.thresholds) == 1 else self.accumulator
        return value.clone()

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds}


_COUNT_DOC = """Counts {what} (weighted by `sample_weight`), at one or more thresholds.

    A prediction is positive when it is strictly greater than the threshold.

    Args:
        thresholds: a float or list of floats in `[0, 1]`. Defaults to `0.5`; with several
            thresholds, the result has one count per threshold.
        name: defaults to the snake_case class name.
        dtype: see `Metric`.
    """


class FalsePositives(_ConfusionMatrixConditionCount):
    __doc__ = _COUNT_DOC.format(what="false positives")

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__("fp", thresholds=thresholds, name=name, dtype=dtype)


class FalseNegatives(_ConfusionMatrixConditionCount):
    __doc__ = _COUNT_DOC.format(what="false negatives")

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__("fn", thresholds=thresholds, name=name, dtype=dtype)


class TrueNegatives(_ConfusionMatrixConditionCount):
    __doc__ = _COUNT_DOC.format(what="true negatives")

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__("tn", thresholds=thresholds, name=name, dtype=dtype)


class TruePositives(_ConfusionMatrixConditionCount):
    __doc__ = _COUNT_DOC.format(what="true positives")

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__("tp", thresholds=thresholds, name=name, dtype=dtype)


class _PrecisionRecallBase(Metric):
    """`tp / (tp + other)` per threshold, where `other` is false positives or false negatives."""

    _other: tuple[str, str] = ("fp", "false_positives")

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default_threshold = 0.5 if top_k is None else metrics_utils.NEG_INF
        self.thresholds = metrics_utils.parse_init_thresholds(thresholds, default_threshold=default_threshold)
        self._thresholds_distributed_evenly = metrics_utils.is_evenly_distributed_thresholds(self.thresholds)
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape=shape, initializer="zeros", name="true_positives")
        key, attribute = self._other
        setattr(self, attribute, self.add_variable(shape=shape, initializer="zeros", name=attribute))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        key, attribute = self._other
        metrics_utils.update_confusion_matrix_variables(
            {"tp": self.true_positives, key: getattr(self, attribute)},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self) -> torch.Tensor:
        other = getattr(self, self._other[1])
        result = divide_no_nan(self.true_positives, self.true_positives + other)
        return result[0] if len(self.thresholds) == 1 else result

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecallBase):
    """Precision, `tp / (tp + fp)`, of thresholded predictions.

    Args:
        thresholds: a float or list of floats in `[0, 1]`; a prediction is positive when above it.
            Defaults to `0.5` (or to "any score" when `top_k` is set).
        top_k: only the `k` highest-scored classes of each sample count as predicted positive.
        class_id: compute the metric for this class column only.
        name: defaults to `"precision"`.
        dtype: see `Metric`.

    Example:
    ```python
    metric = Precision()
    metric.update_state(torch.tensor([0, 1, 1, 1]), torch.tensor([1, 0, 1, 1]))
    metric.result()  # tensor(0.6667)
    ```
    """

    _other = ("fp", "false_positives")


class Recall(_PrecisionRecallBase):
    """Recall, `tp / (tp + fn)`, of thresholded predictions.

    Args:
        thresholds: a float or list of floats in `[0, 1]`; a prediction is positive when above it.
            Defaults to `0.5` (or to "any score" when `top_k` is set).
        top_k: only the `k` highest-scored classes of each sample count as predicted positive.
        class_id: compute the metric for this class column only.
        name: defaults to `"recall"`.
        dtype: see `Metric`.
    """

    _other = ("fn", "false_negatives")


class SensitivitySpecificityBase(Metric):
    """Counts all four cells at `num_thresholds` evenly spaced thresholds, then finds the best
    `dependent` rate among thresholds whose `constrained` rate reaches `value`."""

    def __init__(
        self,
        value: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError(
                f"`num_thresholds` must be an integer > 0. Received: num_thresholds={num_thresholds}"
            )
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0, *inner, 1.0]
            self._thresholds_distributed_evenly = True
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape=shape, initializer="zeros", name="true_positives")
        self.false_positives = self.add_variable(shape=shape, initializer="zeros", name="false_positives")
        self.true_negatives = self.add_variable(shape=shape, initializer="zeros", name="true_negatives")
        self.false_negatives = self.add_variable(shape=shape, initializer="zeros", name="false_negatives")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        metrics_utils.update_confusion_matrix_variables(
            {
                "tp": self.true_positives,
                "tn": self.true_negatives,
                "fp": self.false_positives,
                "fn": self.false_negatives,
            },
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "class_id": self.class_id}

    def _rates(self) -> dict[str, torch.Tensor]:
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        sensitivity = divide_no_nan(tp, tp + fn)
        return {
            "sensitivity": sensitivity,
            "recall": sensitivity,
            "specificity": divide_no_nan(tn, tn + fp),
            "precision": divide_no_nan(tp, tp + fp),
        }

    def _find_max_under_constraint(self, constrained: torch.Tensor, dependent: torch.Tensor) -> torch.Tensor:
        feasible = constrained >= self.value
        return torch.clamp(torch.amax(torch.where(feasible, dependent, 0.0)), min=0.0)


class _RateAtRate(SensitivitySpecificityBase):
    """The best `_dependent` rate among thresholds whose `_constrained` rate reaches a value in
    `[0, 1]`, which subclasses take (and configs carry) under the name `_constrained`."""

    _constrained: str
    _dependent: str

    def __init__(self, value: float, num_thresholds: int, class_id: int | None, name: str | None, dtype: Any):
        if value < 0 or value > 1:
            argument = self._constrained
            raise ValueError(f"`{argument}` must be in the range [0, 1]. Received: {argument}={value}")
        setattr(self, self._constrained, value)
        self.num_thresholds = num_thresholds
        super().__init__(value, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> torch.Tensor:
        rates = self._rates()
        return self._find_max_under_constraint(rates[self._constrained], rates[self._dependent])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            self._constrained: getattr(self, self._constrained),
        }


_AT_DOC = """The best {dependent} among thresholds where {constrained} is at least `{argument}`.

    Args:
        {argument}: the required {constrained}, in `[0, 1]`.
        num_thresholds: how many evenly spaced thresholds are tried. Defaults to `200`.
        class_id: compute the metric for this class column only.
        name: defaults to the snake_case class name.
        dtype: see `Metric`.
    """


class SensitivityAtSpecificity(_RateAtRate):
    __doc__ = _AT_DOC.format(
        dependent="sensitivity (recall)", constrained="specificity", argument="specificity"
    )
    _constrained, _dependent = "specificity", "sensitivity"

    def __init__(
        self,
        specificity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_RateAtRate):
    __doc__ = _AT_DOC.format(
        dependent="specificity", constrained="sensitivity (recall)", argument="sensitivity"
    )
    _constrained, _dependent = "sensitivity", "specificity"

    def __init__(
        self,
        sensitivity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_RateAtRate):
    __doc__ = _AT_DOC.format(dependent="precision", constrained="recall", argument="recall")
    _constrained, _dependent = "recall", "precision"

    def __init__(
        self,
        recall: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_RateAtRate):
    __doc__ = _AT_DOC.format(dependent="recall", constrained="precision", argument="precision")
    _constrained, _dependent = "precision", "recall"

    def __init__(
        self,
        precision: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Area under the ROC or precision-recall curve, by a Riemann sum over thresholds.

    Args:
        num_thresholds: number of evenly spaced thresholds (> 1). Defaults to `200`.
        curve: `"ROC"` (default), `"PR"` or `"PRGAIN"`.
        summation_method: `"interpolation"` (default; for PR, Davis & Goadrich's interpolation),
            `"majoring"` or `"minoring"`.
        name: defaults to `"auc"`.
        dtype: see `Metric`.
        thresholds: explicit thresholds in `[0, 1]`, used instead of `num_thresholds`
            (0 - eps and 1 + eps are added at the ends).
        multi_label: treat each column as its own label, and average their AUCs.
        num_labels: number of labels when `multi_label` (otherwise found on the first batch).
        label_weights: per-label weights; for `multi_label` they weight the average.
        from_logits: apply a sigmoid to `y_pred` first.

    Example:
    ```python
    metric = AUC()
    metric.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0.0, 0.5, 0.3, 0.9]))
    metric.result()  # tensor(0.7500)
    ```
    """

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: Any = None,
        thresholds: list[float] | None = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ):
        self._direction = "up"
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
            self._thresholds_distributed_evenly = metrics_utils.is_evenly_distributed_thresholds(
                np.array([0.0, *thresholds, 1.0])
            )
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    f"`num_thresholds` must be an integer > 1. Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        epsilon = config.epsilon()
        self._thresholds = np.array([0.0 - epsilon, *thresholds, 1.0 + epsilon])
        self.curve = _CURVES[check_choice(curve, tuple(_CURVES), "curve")]
        self.summation_method = check_choice(summation_method, _SUMMATIONS, "summation_method")
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        self._label_weights: torch.Tensor | None = None
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        elif num_labels:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        else:
            self._build(None)

    @property
    def thresholds(self) -> list[float]:
        """The thresholds, including the `0 - eps` and `1 + eps` end points."""
        return list(self._thresholds)

    def _build(self, shape: tuple[int | None, ...] | None) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {len(shape)}. "
                    f"Full shape received for `y_pred`: {tuple(shape)}"
                )
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        for name in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, name, self.add_variable(shape=variable_shape, initializer="zeros", name=name))
        self._built = True

    def _weights_tensor(self) -> torch.Tensor | None:
        """`label_weights` on the state's device, made once per device."""
        if self.label_weights is None:
            return None
        device = self.true_positives.device
        if self._label_weights is None or self._label_weights.device != device:
            dtype = config.torch_dtype(self.dtype)
            self._label_weights = torch.tensor(self.label_weights, dtype=dtype).to(device)
        return self._label_weights

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = nest.to_tensor(y_pred, device=self._device)
        if not self._built:
            self._build(tuple(y_pred.shape))
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        metrics_utils.update_confusion_matrix_variables(
            {
                "tp": self.true_positives,
                "tn": self.true_negatives,
                "fp": self.false_positives,
                "fn": self.false_negatives,
            },
            y_true,
            y_pred,
            self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self._weights_tensor(),
        )

    def _average_over_labels(self, by_threshold: torch.Tensor) -> torch.Tensor:
        if not self.multi_label:
            return torch.sum(by_threshold)
        by_label = torch.sum(by_threshold, dim=0)
        weights = self._weights_tensor()
        if weights is None:
            return torch.mean(by_label)
        return divide_no_nan(torch.sum(by_label * weights), torch.sum(weights))

    def interpolate_pr_auc(self) -> torch.Tensor:
        """PR-AUC by Davis & Goadrich's interpolation between adjacent thresholds."""
        tp, fp, fn = self.true_positives.value, self.false_positives.value, self.false_negatives.value
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        prec_slope = divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - prec_slope * p[1:]
        both_positive = (p[:-1] > 0) & (p[1:] > 0)
        safe_p_ratio = torch.where(
            both_positive, divide_no_nan(p[:-1], torch.clamp(p[1:], min=0)), torch.ones_like(p[1:])
        )
        increments = divide_no_nan(
            prec_slope * (dtp + intercept * torch.log(safe_p_ratio)), torch.clamp(tp[1:] + fn[1:], min=0)
        )
        return self._average_over_labels(increments)

    def result(self) -> torch.Tensor:
        if not self._built:
            return torch.zeros((), dtype=config.torch_dtype(self.dtype))
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:
            scaling = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * divide_no_nan(fp, tp)
            recall_gain = torch.clamp(torch.where(tp == 0, 0.0, recall_gain), min=0.0)
            precision_gain = torch.where(tp == 0, 1.0, precision_gain)
            x, y = recall_gain, precision_gain
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average_over_labels((x[:-1] - x[1:]) * heights)

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
