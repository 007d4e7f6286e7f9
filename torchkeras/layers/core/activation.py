"""`Activation`: applies an activation function."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import activations
from torchkeras.layers.call_context import may_overwrite
from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin

__all__ = ["Activation"]


@register_builtin
class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: activation name (e.g. `"relu"`) or callable.

    Example:
    ```python
    y = keras.layers.Activation("relu")(np.array([-1.0, 2.0]))  # [0., 2.]
    ```
    """

    def __init__(self, activation: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.activation is activations.relu and may_overwrite(self, inputs):
            return torch.relu_(inputs)  # a donated input (see `call_context.donated`)
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
