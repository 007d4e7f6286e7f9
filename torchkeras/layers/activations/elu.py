"""`ELU`: the exponential linear unit as a layer."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import activations
from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin

__all__ = ["ELU"]


@register_builtin
class ELU(Layer):
    """Exponential linear unit: `x` for `x > 0`, else `alpha * (exp(x) - 1)`.

    Args:
        alpha: scale of the negative part.
        **kwargs: base `Layer` arguments.
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}
