"""Weight regularizers (penalties added to the loss), and `get` / `serialize` / `deserialize`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch

from torchkeras import config as _config
from torchkeras.utils.registry import ObjectTable, class_names, register_builtin
from torchkeras.utils.validation import check_choice, invalid

__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "deserialize",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
    "serialize",
]


def _penalty_factor(value: Any, argument: str, owner: str, default: float) -> float:
    """`None` -> `default`; otherwise `value` as a float if it is a finite number >= 0."""
    if value is None:
        return default
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise invalid(argument, "must be a non-negative float", value, owner)
    return float(value)


class Regularizer:
    """Base class for weight regularizers: `__call__(x)` returns a scalar penalty for tensor `x`.

    Subclasses implement `__call__` and `get_config`.

    Example:
    ```python
    class L2Mean(torchkeras.regularizers.Regularizer):
        def __init__(self, factor=0.01):
            self.factor = factor

        def __call__(self, x):
            return self.factor * torch.mean(torch.square(x))

        def get_config(self):
            return {"factor": self.factor}
    ```
    """

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Returns the penalty for `x` (zero for the base class)."""
        return torch.zeros((), dtype=x.dtype, device=x.device)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments as a dict."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config().")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """Builds a regularizer from the output of `get_config()`."""
        return cls(**config)


class L1L2(Regularizer):
    """Penalty `l1 * sum(abs(x)) + l2 * sum(square(x))`.

    Args:
        l1: L1 factor (`None` counts as 0).
        l2: L2 factor (`None` counts as 0).
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _penalty_factor(l1, "l1", "L1L2", 0.0)
        self.l2 = _penalty_factor(l2, "l2", "L1L2", 0.0)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        penalty = torch.zeros((), dtype=x.dtype, device=x.device)
        if self.l1:
            penalty = penalty + self.l1 * torch.sum(torch.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * torch.sum(torch.square(x))
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """Penalty `l1 * sum(abs(x))`.

    Args:
        l1: the factor (`None` gives the default 0.01).
    """

    def __init__(self, l1: float = 0.01):
        self.l1 = _penalty_factor(l1, "l1", "L1", 0.01)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l1 * torch.sum(torch.abs(x))

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """Penalty `l2 * sum(square(x))`.

    Args:
        l2: the factor (`None` gives the default 0.01).
    """

    def __init__(self, l2: float = 0.01):
        self.l2 = _penalty_factor(l2, "l2", "L2", 0.01)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2 * torch.sum(torch.square(x))

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2D weight towards being mutually orthogonal.

    The vectors are L2-normalized; the penalty is `factor * 0.5 * sum(abs(off-diagonal dot products))`
    divided by the number of pairs.

    Args:
        factor: the penalty factor.
        mode: `"rows"` to decorrelate the rows of the weight, `"columns"` for its columns.
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        self.factor = _penalty_factor(factor, "factor", "OrthogonalRegularizer", 0.01)
        self.mode = check_choice(mode, ("rows", "columns"), "mode", "OrthogonalRegularizer")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2:
            raise invalid("inputs.shape", "must have rank 2 for OrthogonalRegularizer", tuple(x.shape))
        vectors = x if self.mode == "rows" else x.T
        inverse_norm = torch.rsqrt(torch.sum(torch.square(vectors), dim=1, keepdim=True))
        vectors = vectors * torch.clamp(inverse_norm, max=1.0 / _config.epsilon())
        product = vectors @ vectors.T
        size = product.shape[0]
        off_diagonal = product * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * torch.sum(torch.abs(off_diagonal)) / pairs

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


# Keras's lower-case aliases: the same classes.
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

_CLASSES = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
ALL_OBJECTS_DICT: dict[str, type[Regularizer]] = class_names(_CLASSES)  # "L1", ..., "l1", "l1l2", ...
ALL_OBJECTS_DICT["l1_l2"] = L1L2  # Keras's function alias
for _cls in _CLASSES:
    register_builtin(_cls)


_TABLE = ObjectTable(ALL_OBJECTS_DICT, "keras.regularizers", "regularizer")


def serialize(regularizer: Regularizer | None) -> dict[str, Any] | None:
    """Returns Keras's config dict: `{"module", "class_name", "config", "registered_name"}`."""
    return _TABLE.serialize(regularizer)


def deserialize(config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Returns the regularizer described by a name (`"l2"`) or a Keras config dict."""
    return _TABLE.deserialize(config, custom_objects)


def get(identifier: Any) -> Regularizer | Callable[[torch.Tensor], torch.Tensor] | None:
    """Returns a regularizer from a name, a config dict, a class, an instance or a callable;
    `None` gives `None`.

    Example:
    ```python
    penalty = torchkeras.regularizers.get("l2")(torch.ones(3))  # 0.03
    ```
    """
    return _TABLE.get(identifier, "must be a name, a config dict, a Regularizer or a callable")
