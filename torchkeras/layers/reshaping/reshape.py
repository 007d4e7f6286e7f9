"""`Reshape`: reshapes each sample to a target shape."""

from __future__ import annotations

import math
from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["Reshape"]


@register_builtin
class Reshape(Layer):
    """Reshapes the inputs to `(batch_size, *target_shape)`.

    Args:
        target_shape: tuple of ints, without the batch axis; one entry may be `-1`.
    """

    def __init__(self, target_shape: Any, **kwargs: Any):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(d == -1 for d in target_shape) > 1 or any(
            not isinstance(d, int) or (d < 1 and d != -1) for d in target_shape
        ):
            raise invalid(
                "target_shape",
                "must be a tuple of positive ints with at most one -1",
                target_shape,
                f"Reshape '{self.name}'",
            )
        self.target_shape = target_shape
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        sample_size = math.prod(inputs.shape[1:])
        known = math.prod([d for d in self.target_shape if d != -1])  # a list: torch.compile traces it
        if (-1 in self.target_shape and sample_size % known) or (
            -1 not in self.target_shape and sample_size != known
        ):
            raise ValueError(
                f"Reshape '{self.name}': cannot reshape samples of shape {tuple(inputs.shape[1:])} "
                f"({sample_size} values) to target_shape={self.target_shape}."
            )
        return inputs.reshape(inputs.shape[0], *self.target_shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if -1 not in self.target_shape:
            return (input_shape[0], *self.target_shape)
        rest = input_shape[1:]
        known = math.prod(d for d in self.target_shape if d != -1)
        missing = None if None in rest else math.prod(rest) // known
        return (input_shape[0], *(missing if d == -1 else d for d in self.target_shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}
