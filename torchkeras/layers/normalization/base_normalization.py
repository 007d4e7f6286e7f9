"""What the normalization layers share: axis checks, half-precision handling, `gamma` / `beta`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchkeras import constraints, initializers, regularizers
from torchkeras.layers.layer import Layer
from torchkeras.utils.validation import invalid

__all__ = ["AffineNormalization", "check_axis_argument", "positive_axes", "to_compute_dtype"]

_HALF = (torch.float16, torch.bfloat16)


def check_axis_argument(axis: Any, owner: str, allow_list: bool = True) -> int | list[int]:
    """Returns `axis` as an int or a list of ints, or raises the house error."""
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    if (
        allow_list
        and isinstance(axis, (list, tuple))
        and axis
        and all(isinstance(a, int) and not isinstance(a, bool) for a in axis)
    ):
        return list(axis)
    expected = "must be an int or a non-empty list of ints" if allow_list else "must be an int"
    raise invalid("axis", expected, axis, owner)


def positive_axes(axis: int | Sequence[int], ndim: int, owner: str) -> list[int]:
    """`axis` as sorted non-negative axes of an `ndim`-D input; raises when one is out of range."""
    axes = [axis] if isinstance(axis, int) else list(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{owner}: axis {a} is out of bounds for inputs of rank {ndim}. Received: axis={axis}"
            )
    positive = sorted({a % ndim for a in axes})
    if len(positive) != len(axes):
        raise invalid("axis", "must not repeat an axis", axis, owner)
    return positive


def to_compute_dtype(inputs: torch.Tensor) -> torch.Tensor:
    """Half-precision inputs are normalized in float32, as Keras does for stable statistics."""
    return inputs.float() if inputs.dtype in _HALF else inputs


class AffineNormalization(Layer):
    """Base of the layers with an optional learned scale `gamma` and offset `beta`.

    Args:
        center: whether to add the offset `beta`.
        scale: whether to multiply by the scale `gamma`.
        beta_initializer, gamma_initializer: initializers of `beta` (zeros) and `gamma` (ones).
        beta_regularizer, gamma_regularizer: optional weight penalties.
        beta_constraint, gamma_constraint: optional weight constraints.
        **kwargs: base `Layer` arguments.
    """

    def __init__(
        self,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    @property
    def _owner(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def _add_gamma_beta(self, shape: tuple[int, ...], scale: bool, center: bool) -> None:
        """Creates `gamma` then `beta` (Keras's weight order), each only when asked for."""
        self.gamma = None
        self.beta = None
        if scale:
            self.gamma = self.add_weight(
                name="gamma",
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if center:
            self.beta = self.add_weight(
                name="beta",
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )

    def _affine_config(self) -> dict:
        return {
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }

    def compute_output_shape(self, input_shape: Any) -> Any:
        positive_axes(self.axis, len(input_shape), self._owner)
        return input_shape
