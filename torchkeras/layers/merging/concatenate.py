"""`Concatenate`: joins a list of tensors along an axis, and its functional form `concatenate`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.merging.base_merge import Merge, Shape, input_masks
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["Concatenate", "concatenate"]


@register_builtin
class Concatenate(Merge):
    """Concatenates a list of tensors along `axis`; all other axes must match.

    Masks: an input without a mask counts as fully unmasked; the output mask (over all axes but
    the last) is true where any entry of the concatenated feature vector is unmasked.

    Args:
        axis: the concatenation axis.
        **kwargs: base `Layer` arguments.

    Example:
    ```python
    y = keras.layers.Concatenate()([np.ones((2, 3)), np.zeros((2, 4))])  # shape (2, 7)
    ```
    """

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise invalid("axis", "must be an int", axis, self._owner)
        self.axis = axis

    def _check_shapes(self, shapes: list[Shape]) -> tuple:
        """Output shape of the concatenation; raises when ranks or non-axis sizes differ."""
        ranks = {len(s) for s in shapes}
        rank = ranks.pop() if len(ranks) == 1 else None
        if rank is None or not -rank <= self.axis < rank:
            raise ValueError(
                f"{self._owner}: inputs must have the same rank, with axis={self.axis} in range. "
                f"Received shapes {shapes}"
            )
        axis = self.axis % rank
        output = list(shapes[0])
        for dim in range(rank):
            sizes = {s[dim] for s in shapes}
            if dim == axis:
                output[dim] = None if None in sizes else sum(s[dim] for s in shapes)
            elif len(sizes - {None}) > 1:
                raise ValueError(
                    f"{self._owner}: inputs must have matching shapes except on the concatenation axis "
                    f"{self.axis}. Received shapes {shapes}"
                )
            else:
                output[dim] = next(iter(sizes - {None}), None)
        return tuple(output)

    def call(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        self._check_list(inputs)
        self._check_shapes([tuple(x.shape) for x in inputs])
        return torch.cat(list(inputs), dim=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> torch.Tensor | None:
        if mask is None and isinstance(inputs, (list, tuple)):
            mask = input_masks(inputs)
        if mask is None or all(m is None for m in mask):
            return None
        if len(mask) != len(inputs):
            raise ValueError(
                f"{self._owner}: `mask` must be a list with one entry per input. Received: mask={mask}"
            )
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = torch.ones((), dtype=torch.bool, device=x.device)
            elif m.ndim < x.ndim:
                m = m.unsqueeze(-1)
            full.append(m.expand(x.shape))
        return torch.cat(full, dim=self.axis).any(dim=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs: list[Any], axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of `Concatenate`: `Concatenate(axis, **kwargs)(inputs)` (symbolic tensors too)."""
    return Concatenate(axis=axis, **kwargs)(inputs)
