"""Losses (`keras.losses`): `Loss` classes, their function forms, and `get` / `serialize` / `deserialize`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from torchkeras.losses.ctc import CTC, ctc
from torchkeras.losses.hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from torchkeras.losses.loss import Loss, LossFunctionWrapper
from torchkeras.losses.probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from torchkeras.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from torchkeras.losses.segmentation import Dice, Tversky, dice, tversky
from torchkeras.losses.similarity import Circle, circle
from torchkeras.utils.registry import ObjectTable, register_builtin

__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CTC",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "cosine_similarity",
    "ctc",
    "deserialize",
    "dice",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
]

_CLASSES = (
    Loss, LossFunctionWrapper, KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy,
    CategoricalCrossentropy, CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy,
    SparseCategoricalCrossentropy, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCosh, Huber, Hinge, SquaredHinge, CategoricalHinge,
    Dice, Tversky, Circle, CTC,
)  # fmt: skip
_FUNCTIONS = (
    kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, categorical_generalized_cross_entropy, sparse_categorical_crossentropy,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    cosine_similarity, log_cosh, huber, hinge, squared_hinge, categorical_hinge, dice, tversky, circle, ctc,
)  # fmt: skip

# Keras's table: class and function names, plus the short aliases `keras.losses.get` accepts.
ALL_OBJECTS_DICT: dict[str, Any] = {obj.__name__: obj for obj in (*_CLASSES, *_FUNCTIONS)}
ALL_OBJECTS_DICT.update(
    {
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "kld": kl_divergence,
        "KLD": kl_divergence,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
    }
)
# Functions are registered as built-ins (their snake_case names are unique across packages);
# classes are not, since `keras.metrics` reuses most of these class names.
for _fn in _FUNCTIONS:
    register_builtin(_fn)

_TABLE = ObjectTable(ALL_OBJECTS_DICT, "keras.losses", "loss")


def serialize(loss: Loss | Callable[..., Any] | None) -> dict[str, Any] | None:
    """Returns Keras's config dict for a `Loss` instance or a loss function.

    Example:
    ```python
    serialize(MeanSquaredError())
    # {"module": "keras.losses", "class_name": "MeanSquaredError",
    #  "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"},
    #  "registered_name": None}
    ```
    """
    return _TABLE.serialize(loss)


def deserialize(config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Returns the loss described by `config`: a name (a class name gives an instance) or a
    Keras config dict. Unknown names raise `ValueError` with close matches."""
    return _TABLE.deserialize(config, custom_objects)


def get(identifier: str | Mapping[str, Any] | Callable[..., Any] | None) -> Any:
    """Returns a loss function or `Loss` instance from a name, a config dict, a class or a callable.

    Names of classes (`"CategoricalCrossentropy"`) give default instances; function names and
    aliases (`"categorical_crossentropy"`, `"mse"`) give the function. `None` gives `None`.
    """
    return _TABLE.get(identifier, "must be a name, a config dict, a `Loss`, a callable or None")
