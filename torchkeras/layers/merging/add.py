"""`Add`: the element-wise sum of a list of tensors, and its functional form `add`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.call_context import may_overwrite
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

    _fresh_outputs = True  # outputs are new tensors nothing else holds (see `Functional`)

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        if len(inputs) == 1:
            return inputs[0].clone()  # a new tensor, as for several inputs
        output = _first_sum_in_place(self, inputs)
        if output is not None:
            inputs = [output, *inputs[2:]]
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


def _first_sum_in_place(layer: Add, inputs: list[torch.Tensor]) -> torch.Tensor | None:
    """`inputs[0] + inputs[1]` written into one of the two when it was donated (see
    `call_context.donated`) and holds the sum's shape and dtype (`a + b == b + a` exactly)."""
    for target, other in ((inputs[0], inputs[1]), (inputs[1], inputs[0])):
        if (
            may_overwrite(layer, target)
            and target.shape == other.shape
            and target.dtype == other.dtype
            and target.untyped_storage().data_ptr() != other.untyped_storage().data_ptr()
        ):
            return target.add_(other)
    return None


def add(inputs: list[Any], **kwargs: Any) -> Any:
    """Functional form of `Add`: `Add(**kwargs)(inputs)` (works on symbolic tensors too)."""
    return Add(**kwargs)(inputs)
