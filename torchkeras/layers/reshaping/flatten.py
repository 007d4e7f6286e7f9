"""`Flatten`: flattens every axis but the batch axis."""

from __future__ import annotations

import math
from typing import Any

import torch

from torchkeras import config
from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_choice

__all__ = ["Flatten"]


@register_builtin
class Flatten(Layer):
    """Flattens the input to `(batch_size, -1)`, in channels_last order whatever the data format
    (channels_first inputs are moved to channels_last first, as Keras does).

    Args:
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = check_choice(
            data_format or config.image_data_format(),
            ("channels_last", "channels_first"),
            "data_format",
            f"Flatten '{self.name}'",
        )
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}
