"""`LeakyReLU`: the leaky rectified linear unit as a layer."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from torchkeras import activations
from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["LeakyReLU"]


@register_builtin
class LeakyReLU(Layer):
    """Leaky ReLU: `x` for `x >= 0`, else `negative_slope * x`.

    Args:
        negative_slope: non-negative float, the slope for negative inputs (0.3 by default, as Keras;
            the deprecated name `alpha` is accepted).
        **kwargs: base `Layer` arguments.
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("`alpha` is deprecated in Keras 3; use `negative_slope`.", stacklevel=2)
        super().__init__(**kwargs)
        if (
            isinstance(negative_slope, bool)
            or not isinstance(negative_slope, (int, float))
            or negative_slope < 0
        ):
            raise invalid(
                "negative_slope", "must be a non-negative number", negative_slope, f"LeakyReLU '{self.name}'"
            )
        self.negative_slope = negative_slope
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}
