"""Metrics (`keras.metrics`): stateful `Metric` classes, function forms, and `get` / `serialize` /
`deserialize`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from torchkeras.losses.hinge import categorical_hinge, hinge, squared_hinge
from torchkeras.losses.probabilistic import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from torchkeras.losses.regression import (
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from torchkeras.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from torchkeras.metrics.confusion_metrics import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from torchkeras.metrics.correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from torchkeras.metrics.f_score_metrics import F1Score, FBetaScore
from torchkeras.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from torchkeras.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from torchkeras.metrics.metric import Metric, MetricVariable
from torchkeras.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from torchkeras.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from torchkeras.metrics.regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
)
from torchkeras.utils.registry import ObjectTable, class_names, register_builtin

__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "BinaryIoU",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "IoU",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanIoU",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "MetricVariable",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "Poisson",
    "Precision",
    "PrecisionAtRecall",
    "R2Score",
    "Recall",
    "RecallAtPrecision",
    "RootMeanSquaredError",
    "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SpecificityAtSensitivity",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "concordance_correlation",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "pearson_correlation",
    "poisson",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]

_CLASSES = (
    Metric, Mean, Sum, MeanMetricWrapper, MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score, AUC,
    FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall, RecallAtPrecision,
    SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives, TruePositives, ConcordanceCorrelation,
    PearsonCorrelation, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, Accuracy, BinaryAccuracy, CategoricalAccuracy,
    SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, F1Score, FBetaScore,
    IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
)  # fmt: skip
_METRIC_FUNCTIONS = (
    binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy, pearson_correlation, concordance_correlation,
)  # fmt: skip
_LOSS_FUNCTIONS = (
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence, log_cosh,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge,
)  # fmt: skip

# Keras's table: class names and their snake_case forms (`"binary_accuracy"` gives the class,
# `get` then an instance), plus short aliases. The bare `"acc"` is not a name here, as in Keras.
ALL_OBJECTS_DICT: dict[str, Any] = class_names(_CLASSES)
ALL_OBJECTS_DICT.update(
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
    }
)
# Function configs (e.g. a `MeanMetricWrapper`'s `fn`) resolve through this table.
FUNCTIONS_DICT: dict[str, Callable[..., Any]] = {
    fn.__name__: fn for fn in (*_METRIC_FUNCTIONS, *_LOSS_FUNCTIONS)
}
for _fn in _METRIC_FUNCTIONS:
    register_builtin(_fn)

_TABLE = ObjectTable(ALL_OBJECTS_DICT, "keras.metrics", "metric", functions=FUNCTIONS_DICT)


def serialize(metric: Metric | Callable[..., Any] | None) -> dict[str, Any] | None:
    """Returns Keras's config dict for a `Metric` instance or a metric function."""
    return _TABLE.serialize(metric)


def deserialize(config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Returns the metric described by `config`: a name (a class name gives an instance) or a
    Keras config dict. Unknown names raise `ValueError` with close matches."""
    return _TABLE.deserialize(config, custom_objects)


def get(identifier: str | Mapping[str, Any] | Callable[..., Any] | None) -> Any:
    """Returns a `Metric` instance or metric function from a name, a config dict, a class or a callable.

    As in Keras, names give instances (`"accuracy"` -> `Accuracy()`, `"mse"` ->
    `MeanSquaredError()`); the trainer, not `get`, maps `"accuracy"`/`"acc"` to the right
    accuracy for the model's outputs. `None` gives `None`.
    """
    return _TABLE.get(identifier, "must be a name, a config dict, a `Metric`, a callable or None")
