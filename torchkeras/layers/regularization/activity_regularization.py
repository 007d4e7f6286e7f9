"""`ActivityRegularization`: adds an L1/L2 penalty on its input to the model's losses."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import regularizers
from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin

__all__ = ["ActivityRegularization"]


@register_builtin
class ActivityRegularization(Layer):
    """Returns its input unchanged and adds `(l1 * sum(|x|) + l2 * sum(x**2)) / batch_size` to the
    layer's `losses` at each call.

    Args:
        l1: L1 factor (non-negative float).
        l2: L2 factor (non-negative float).
        **kwargs: base `Layer` arguments.
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config_dict = super().get_config()
        config_dict.pop("activity_regularizer", None)
        return {**config_dict, "l1": self.l1, "l2": self.l2}
