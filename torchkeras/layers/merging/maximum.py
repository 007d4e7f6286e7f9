"""`Maximum`: the element-wise maximum of a list of tensors, and its functional form `maximum`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.merging.base_merge import Merge
from torchkeras.utils.registry import register_builtin

__all__ = ["Maximum", "maximum"]


@register_builtin
class Maximum(Merge):
    """Computes the element-wise maximum of a list of tensors of compatible shapes.

    Where an input carries a mask, its masked-out entries are ignored (the others' value is kept).

    Example:
    ```python
    y = keras.layers.Maximum()([np.ones((2, 3)), np.full((2, 3), 2.0)])
    ```
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return self._masked_merge(torch.maximum, inputs)


def maximum(inputs: list[Any], **kwargs: Any) -> Any:
    """Functional form of `Maximum`: `Maximum(**kwargs)(inputs)` (works on symbolic tensors too)."""
    return Maximum(**kwargs)(inputs)
