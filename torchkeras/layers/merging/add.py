"""`Add`: the element-wise sum of a list of tensors, and its functional form `add`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.merging.base_merge import Merge
from torchkeras.utils.registry import register_builtin

__all__ = ["Add", "add"]


@register_builtin
class Add(Merge):
    """Computes the element-wise sum of a list of tensors of compatible shapes.

    Example:
    ```python
    y = keras.layers.Add()([np.ones((2, 3)), np.full((2, 3), 2.0)])
    ```
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


def add(inputs: list[Any], **kwargs: Any) -> Any:
    """Functional form of `Add`: `Add(**kwargs)(inputs)` (works on symbolic tensors too)."""
    return Add(**kwargs)(inputs)
