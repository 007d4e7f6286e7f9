"""`Subtract`: the difference of two tensors, and its functional form `subtract`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.merging.base_merge import Merge
from torchkeras.utils.registry import register_builtin

__all__ = ["Subtract", "subtract"]


@register_builtin
class Subtract(Merge):
    """Computes `inputs[0] - inputs[1]` for a list of exactly two tensors of compatible shapes.

    Example:
    ```python
    y = keras.layers.Subtract()([np.full((2, 3), 5.0), np.ones((2, 3))])  # all 4.0
    ```
    """

    def _check_list(self, inputs: Any, what: str = "inputs") -> None:
        super()._check_list(inputs, what)
        if len(inputs) != 2:
            raise ValueError(
                f"{self._owner}: a `Subtract` layer must be called on exactly 2 inputs. "
                f"Received: {len(inputs)} inputs"
            )

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return inputs[0] - inputs[1]


def subtract(inputs: list[Any], **kwargs: Any) -> Any:
    """Functional form of `Subtract`: `Subtract(**kwargs)(inputs)` (works on symbolic tensors too)."""
    return Subtract(**kwargs)(inputs)
