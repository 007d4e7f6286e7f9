"""`UnitNormalization`: scales each sample to unit L2 norm over the given axes."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.layers.normalization.base_normalization import check_axis_argument, positive_axes
from torchkeras.utils.registry import register_builtin

__all__ = ["UnitNormalization"]

_EPSILON = 1e-12  # Keras's floor of the norm


@register_builtin
class UnitNormalization(Layer):
    """Divides each sample by its L2 norm over `axis`: `x / max(norm(x), 1e-12)`.

    Args:
        axis: int or list of ints, the axes the norm is taken over.
        **kwargs: base `Layer` arguments.

    Example:
    ```python
    y = keras.layers.UnitNormalization()(np.random.rand(2, 3))  # each row has norm 1
    ```
    """

    def __init__(self, axis: int | list[int] = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = check_axis_argument(axis, f"UnitNormalization '{self.name}'")
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        axes = positive_axes(self.axis, inputs.ndim, f"UnitNormalization '{self.name}'")
        norm = torch.linalg.vector_norm(inputs, ord=2, dim=axes, keepdim=True)
        return inputs / norm.clamp_min(_EPSILON)

    def compute_output_shape(self, input_shape: Any) -> Any:
        positive_axes(self.axis, len(input_shape), f"UnitNormalization '{self.name}'")
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
