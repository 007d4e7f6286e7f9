"""`Merge`: the base of the layers combining a list of tensors (`Add`, `Concatenate`, ...)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.layer import Layer

__all__ = ["Merge", "input_masks"]

Shape = Sequence[int | None]


def input_masks(inputs: Any) -> list[torch.Tensor | None]:
    """The Keras masks carried by each tensor of the list `inputs`."""
    return [getattr(x, "_keras_mask", None) for x in inputs]


class Merge(Layer):
    """Base of the element-wise merge layers: called on a list of tensors of compatible shapes.

    Inputs of lower rank get size-1 axes inserted after the batch axis, then all are broadcast
    together. The output mask is the logical OR of the input masks when every input has one.
    Subclasses implement `_merge_function(inputs)`.

    Args:
        **kwargs: base `Layer` arguments.
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True

    @property
    def _owner(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement `_merge_function(inputs)`.")

    # ------------------------------------------------------------------------- validation

    def _check_list(self, inputs: Any, what: str = "inputs") -> None:
        if not isinstance(inputs, (list, tuple)) or not inputs:
            raise ValueError(
                f"{self._owner}: a merge layer must be called on a non-empty list of tensors. "
                f"Received: {what}={_describe(inputs)}"
            )
        if what == "input_shape" and not all(s is None or isinstance(s, (list, tuple)) for s in inputs):
            raise ValueError(
                f"{self._owner}: a merge layer must be called on a list of tensors. "
                f"Received: input_shape={inputs}"
            )

    def _check_shapes(self, shapes: list[Shape]) -> tuple:
        """Output shape of the element-wise merge of `shapes`; raises on incompatible shapes."""
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"{self._owner}: cannot merge tensors with different batch sizes. Received shapes {shapes}"
            )
        output: list[int | None] = []
        for shape in shapes:
            output = self._broadcast(output, list(shape[1:]), shapes)
        return (next(iter(batch_sizes), None), *output)

    def _broadcast(self, first: list, second: list, shapes: list[Shape]) -> list:
        if len(first) < len(second):
            first, second = second, first
        result = list(first[: len(first) - len(second)])
        for a, b in zip(first[len(first) - len(second) :], second):
            if a is None or b is None:
                result.append(None)
            elif a == 1 or b == 1 or a == b:
                result.append(b if a == 1 else a)
            else:
                raise ValueError(f"{self._owner}: inputs have incompatible shapes. Received shapes {shapes}")
        return result

    # ------------------------------------------------------------------------------- build and call

    def build(self, input_shape: Any) -> None:
        self._check_list(input_shape, "input_shape")
        self._check_shapes([tuple(s) for s in input_shape])

    def call(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        self._check_list(inputs)
        self._check_shapes([tuple(x.shape) for x in inputs])
        ranks = {x.ndim for x in inputs}
        if len(ranks) > 1:  # lower-rank inputs get size-1 axes after the batch axis
            top = max(ranks)
            inputs = [x.reshape(x.shape[:1] + (1,) * (top - x.ndim) + x.shape[1:]) for x in inputs]
        return self._merge_function(list(inputs))

    def _masked_merge(self, op: Callable, inputs: list[torch.Tensor]) -> torch.Tensor:
        """`op` folded over the inputs; a masked-out entry takes the other operand's value."""
        output, output_mask = None, None
        for x, mask in zip(inputs, input_masks(inputs)):
            if mask is not None:
                mask = mask.unsqueeze(-1).expand(x.shape)
            if output is None:
                output, output_mask = x, mask
                continue
            if mask is not None:
                x = torch.where(mask, x, output)
            if output_mask is not None:
                output = torch.where(output_mask, output, x)
            output_mask = output_mask | mask if mask is not None and output_mask is not None else None
            output = op(output, x)
        return output

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self._check_list(input_shape, "input_shape")
        return self._check_shapes([tuple(s) for s in input_shape])

    def compute_mask(self, inputs: Any, mask: Any = None) -> torch.Tensor | None:
        if mask is None and isinstance(inputs, (list, tuple)):
            mask = input_masks(inputs)
        if mask is None:
            return None
        if (
            not isinstance(mask, (list, tuple))
            or not isinstance(inputs, (list, tuple))
            or len(mask) != len(inputs)
        ):
            raise ValueError(
                f"{self._owner}: `mask` must be a list with one entry per input. Received: mask={mask}"
            )
        if any(m is None for m in mask):
            return None
        output_mask = mask[0]
        for m in mask[1:]:
            output_mask = output_mask | m
        return output_mask


def _describe(value: Any) -> str:
    if isinstance(value, (torch.Tensor, KerasTensor)):
        return f"a single tensor of shape {tuple(value.shape)}"
    return repr(value)
