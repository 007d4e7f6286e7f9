"""`Multiply`: the element-wise product of a list of tensors, and its functional form `multiply`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.merging.base_merge import Merge, input_masks
from torchkeras.utils.registry import register_builtin

__all__ = ["Multiply", "multiply"]


@register_builtin
class Multiply(Merge):
    """Computes the element-wise product of a list of tensors of compatible shapes.

    Masked-out entries of an input count as 1; when every input has a mask, entries masked out
    in all inputs are 0 in the output.

    Example:
    ```python
    y = keras.layers.Multiply()([np.full((2, 3), 2.0), np.full((2, 3), 3.0)])  # all 6.0
    ```
    """

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        masks = input_masks(inputs)
        every_input_masked = all(m is not None for m in masks)
        output, output_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = mask.unsqueeze(-1).expand(x.shape)
                x = torch.where(mask, x, torch.ones((), dtype=x.dtype, device=x.device))
                if every_input_masked:
                    output_mask = mask if output_mask is None else output_mask | mask
            output = x if output is None else output * x
        if every_input_masked:
            output = torch.where(
                output_mask, output, torch.zeros((), dtype=output.dtype, device=output.device)
            )
        return output


def multiply(inputs: list[Any], **kwargs: Any) -> Any:
    """Functional form of `Multiply`: `Multiply(**kwargs)(inputs)` (works on symbolic tensors too)."""
    return Multiply(**kwargs)(inputs)
