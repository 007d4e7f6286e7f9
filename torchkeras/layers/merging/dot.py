"""`Dot`: per-sample dot products of two tensors, and its functional form `dot`."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras.layers.merging.base_merge import Merge, Shape
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["Dot", "dot"]

_NORMALIZE_EPSILON = 1e-7  # Keras's floor of the L2 norm when `normalize=True`


@register_builtin
class Dot(Merge):
    """Per-sample dot product of two tensors, contracting axis `axes[0]` of the first with axis
    `axes[1]` of the second.

    The output has the first input's remaining non-batch axes followed by the second's
    (`(batch, 1)` when nothing remains). With `normalize=True` both inputs are first L2-normalized
    along their contracted axis, giving cosine similarities.

    Args:
        axes: an int (same axis for both inputs) or a pair of ints; the batch axis 0 is excluded.
        normalize: whether to L2-normalize the inputs along the contracted axes first.
        **kwargs: base `Layer` arguments.

    Example:
    ```python
    y = keras.layers.Dot(axes=(1, 2))([np.ones((2, 5, 3)), np.ones((2, 4, 5))])  # shape (2, 3, 4)
    ```
    """

    def __init__(self, axes: int | list[int] | tuple[int, int], normalize: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        pair = axes if isinstance(axes, (list, tuple)) else None
        if not (isinstance(axes, int) and not isinstance(axes, bool)) and (
            pair is None
            or len(pair) != 2
            or not all(isinstance(a, int) and not isinstance(a, bool) for a in pair)
        ):
            raise invalid("axes", "must be an int or a pair of ints", axes, self._owner)
        self.axes = axes
        self.normalize = normalize

    def _check_list(self, inputs: Any, what: str = "inputs") -> None:
        super()._check_list(inputs, what)
        if len(inputs) != 2:
            raise ValueError(
                f"{self._owner}: a `Dot` layer must be called on a list of exactly 2 inputs. "
                f"Received: {len(inputs)} inputs"
            )

    def _axes_for(self, shapes: list[Shape]) -> tuple[int, int]:
        axes = self.axes if isinstance(self.axes, (list, tuple)) else (self.axes, self.axes)
        positive = []
        for axis, shape in zip(axes, shapes):
            if len(shape) < 2 or not -len(shape) <= axis < len(shape) or axis % len(shape) == 0:
                raise ValueError(
                    f"{self._owner}: `axes` must name a non-batch axis of each input. "
                    f"Received: axes={self.axes} for input shapes {shapes}"
                )
            positive.append(axis % len(shape))
        return positive[0], positive[1]

    def _check_shapes(self, shapes: list[Shape]) -> tuple:
        first, second = shapes
        a0, a1 = self._axes_for(shapes)
        if None not in (first[0], second[0]) and first[0] != second[0]:
            raise ValueError(f"{self._owner}: inputs have different batch sizes. Received shapes {shapes}")
        if None not in (first[a0], second[a1]) and first[a0] != second[a1]:
            raise ValueError(
                f"{self._owner}: incompatible input shapes: size {first[a0]} (axis {a0}) != "
                f"{second[a1]} (axis {a1}). Received shapes {shapes}"
            )
        kept = [d for i, d in enumerate(first) if i != a0] + [
            d for i, d in enumerate(second) if i not in (0, a1)
        ]
        batch = first[0] if first[0] is not None else second[0]
        return (batch, *kept[1:]) if len(kept) > 1 else (batch, 1)

    def call(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        self._check_list(inputs)
        output_shape = self._check_shapes([tuple(x.shape) for x in inputs])
        a0, a1 = self._axes_for([tuple(x.shape) for x in inputs])
        x, y = inputs
        if self.normalize:
            x = F.normalize(x, dim=a0, eps=_NORMALIZE_EPSILON)
            y = F.normalize(y, dim=a1, eps=_NORMALIZE_EPSILON)
        batch, depth = x.shape[0], x.shape[a0]
        x = x.movedim(a0, -1).reshape(batch, -1, depth)  # (batch, rest of x, depth)
        y = y.movedim(a1, 1).reshape(batch, depth, -1)  # (batch, depth, rest of y)
        return torch.bmm(x, y).reshape(batch, *output_shape[1:])

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs: list[Any], axes: int | list[int] | tuple[int, int] = -1, **kwargs: Any) -> Any:
    """Functional form of `Dot`: `Dot(axes, **kwargs)(inputs)` (works on symbolic tensors too)."""
    return Dot(axes=axes, **kwargs)(inputs)
