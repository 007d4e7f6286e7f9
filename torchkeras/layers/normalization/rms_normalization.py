"""`RMSNormalization`: divides each sample by its root mean square over the feature axes."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras.layers.layer import Layer
from torchkeras.layers.normalization.base_normalization import (
    check_axis_argument,
    positive_axes,
    to_compute_dtype,
)
from torchkeras.utils.registry import register_builtin

__all__ = ["RMSNormalization"]


@register_builtin
class RMSNormalization(Layer):
    """Root-mean-square normalization: `scale * x / sqrt(mean(square(x)) + epsilon)`, the mean
    taken per sample over `axis`, with a learned `scale` of the shape of those axes.

    Args:
        axis: int or list of ints, the axes to normalize over.
        epsilon: small float added to the mean square.
        **kwargs: base `Layer` arguments.

    Example:
    ```python
    y = keras.layers.RMSNormalization()(np.random.rand(2, 4, 8))
    ```
    """

    def __init__(self, axis: int | list[int] = -1, epsilon: float = 1e-6, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = check_axis_argument(axis, self._owner)
        self.epsilon = epsilon

    @property
    def _owner(self) -> str:
        return f"RMSNormalization '{self.name}'"

    def build(self, input_shape: tuple) -> None:
        self._rank, self._axes = len(input_shape), positive_axes(self.axis, len(input_shape), self._owner)
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]  # as Keras
        shape = tuple(input_shape[a] for a in self._axes)
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = to_compute_dtype(inputs)
        axes = self._axes if x.ndim == self._rank else positive_axes(self.axis, x.ndim, self._owner)
        if axes[0] == x.ndim - len(axes):  # trailing axes: torch's kernel
            outputs = F.rms_norm(x, tuple(self.scale.shape), self.scale, self.epsilon)
        else:
            mean_square = torch.mean(torch.square(x), dim=axes, keepdim=True)
            shape = [x.shape[d] if d in axes else 1 for d in range(x.ndim)]
            outputs = x * torch.rsqrt(mean_square + self.epsilon) * self.scale.reshape(shape)
        return outputs.to(inputs.dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        positive_axes(self.axis, len(input_shape), self._owner)
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
