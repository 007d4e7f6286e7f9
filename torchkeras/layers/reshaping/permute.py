"""`Permute`: reorders the non-batch axes."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["Permute"]


@register_builtin
class Permute(Layer):
    """Permutes the non-batch axes: output axis `i + 1` is input axis `dims[i]` (a view, no copy).

    Args:
        dims: a permutation of `1, ..., rank - 1` (the batch axis 0 is not included).
        **kwargs: base `Layer` arguments.

    Example:
    ```python
    y = keras.layers.Permute((2, 1))(np.ones((4, 10, 64)))  # shape (4, 64, 10)
    ```
    """

    def __init__(self, dims: Any, **kwargs: Any):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise invalid(
                "dims",
                "must be a permutation of consecutive axes starting at 1",
                dims,
                f"Permute '{self.name}'",
            )
        self.dims = dims
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.ndim != len(self.dims) + 1:
            raise ValueError(
                f"Permute '{self.name}': expected inputs of rank {len(self.dims) + 1} for dims={self.dims}. "
                f"Received: inputs.shape={tuple(inputs.shape)}"
            )
        return inputs.permute(0, *self.dims)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}
