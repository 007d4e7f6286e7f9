"""Weight constraints (projections applied after each optimizer update), and `get` / `serialize` /
`deserialize`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from torchkeras import config as _config
from torchkeras.utils import nest
from torchkeras.utils.registry import ObjectTable, class_names, register_builtin

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
]

Axis = int | Sequence[int]


def _norms(w: torch.Tensor, axis: Axis) -> torch.Tensor:
    """L2 norms of `w` over `axis`, keeping the reduced dimensions for broadcasting."""
    dims = axis if isinstance(axis, int) else tuple(axis)
    return torch.sqrt(torch.sum(torch.square(w), dim=dims, keepdim=True))


def _tensor(w: Any) -> torch.Tensor:
    return w if isinstance(w, torch.Tensor) else nest.to_tensor(w)


class Constraint:
    """Base class for weight constraints: `__call__(w)` returns the projected weight.

    The trainer applies a variable's constraint after each optimizer step. Subclasses implement
    `__call__` and, when their constructor takes arguments, `get_config`.

    Example:
    ```python
    class NonNegBelow(torchkeras.constraints.Constraint):
        def __init__(self, ref_value):
            self.ref_value = ref_value

        def __call__(self, w):
            return torch.clamp(w, 0.0, self.ref_value)

        def get_config(self):
            return {"ref_value": self.ref_value}
    ```
    """

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        """Returns `w` projected onto the constraint (unchanged for the base class)."""
        return w

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments as a dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        """Builds a constraint from the output of `get_config()`."""
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales the weight vectors along `axis` whose L2 norm exceeds `max_value`.

    Args:
        max_value: largest norm allowed.
        axis: axis (or axes) along which norms are computed. For a Dense kernel `(in, out)`,
            `axis=0` constrains each unit's incoming weights; for a Conv2D kernel
            `(rows, cols, in, out)` use `axis=[0, 1, 2]`.
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        w = _tensor(w)
        norms = _norms(w, self.axis)
        desired = torch.clamp(norms, 0, self.max_value)
        return w * (desired / (_config.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Replaces negative weights with 0."""

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return torch.clamp(_tensor(w), min=0)


class UnitNorm(Constraint):
    """Rescales the weight vectors along `axis` to unit L2 norm.

    Args:
        axis: axis (or axes) along which norms are computed, as in `MaxNorm`.
    """

    def __init__(self, axis: Axis = 0):
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        w = _tensor(w)
        return w / (_config.epsilon() + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the L2 norm of the weight vectors along `axis` into `[min_value, max_value]`.

    The new norm is `rate * clip(norm, min_value, max_value) + (1 - rate) * norm`: `rate=1` enforces
    the bounds at once, a smaller rate moves towards them gradually.

    Args:
        min_value: smallest norm allowed.
        max_value: largest norm allowed.
        rate: how far to move towards the bounds at each application, in `[0, 1]`.
        axis: axis (or axes) along which norms are computed, as in `MaxNorm`.
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Axis = 0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        w = _tensor(w)
        norms = _norms(w, self.axis)
        desired = self.rate * torch.clamp(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (_config.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


# Keras's lower-case aliases: the same classes.
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_CLASSES = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
ALL_OBJECTS_DICT: dict[str, type[Constraint]] = class_names(_CLASSES)
for _cls in _CLASSES:
    register_builtin(_cls)


_TABLE = ObjectTable(ALL_OBJECTS_DICT, "keras.constraints", "constraint")


def serialize(constraint: Constraint | None) -> dict[str, Any] | None:
    """Returns Keras's config dict: `{"module", "class_name", "config", "registered_name"}`."""
    return _TABLE.serialize(constraint)


def deserialize(config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Returns the constraint described by a name (`"max_norm"`) or a Keras config dict."""
    return _TABLE.deserialize(config, custom_objects)


def get(identifier: Any) -> Constraint | Callable[[torch.Tensor], torch.Tensor] | None:
    """Returns a constraint from a name, a config dict, a class, an instance or a callable;
    `None` gives `None`.

    Example:
    ```python
    constraint = torchkeras.constraints.get("non_neg")
    ```
    """
    return _TABLE.get(identifier, "must be a name, a config dict, a Constraint or a callable")
