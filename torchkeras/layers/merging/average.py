"""`Average`: the element-wise mean of a list of tensors, and its functional form `average`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.merging.base_merge import Merge
from torchkeras.utils.registry import register_builtin

__all__ = ["Average", "average"]


@register_builtin
class Average(Merge):
    """Computes the element-wise mean of a list of tensors of compatible shapes.

    Example:
    ```python
    y = keras.layers.Average()([np.ones((2, 3)), np.full((2, 3), 2.0)])
    ```
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


def average(inputs: list[Any], **kwargs: Any) -> Any:
    """Functional form of `Average`: `Average(**kwargs)(inputs)` (works on symbolic tensors too)."""
    return Average(**kwargs)(inputs)
