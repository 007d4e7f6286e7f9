"""`BaseAdaptivePooling`: pooling to a fixed output size, whatever the input size (1D/2D/3D)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras.layers.convolutional.base_conv import data_format_argument
from torchkeras.layers.layer import Layer

__all__ = ["BaseAdaptivePooling"]

_POOLS = {
    ("average", 1): F.adaptive_avg_pool1d,
    ("average", 2): F.adaptive_avg_pool2d,
    ("average", 3): F.adaptive_avg_pool3d,
    ("max", 1): F.adaptive_max_pool1d,
    ("max", 2): F.adaptive_max_pool2d,
    ("max", 3): F.adaptive_max_pool3d,
}


class BaseAdaptivePooling(Layer):
    """Pools each spatial axis into `output_size` windows: window `i` of an axis of length `L`
    spans `[floor(i * L / n), ceil((i + 1) * L / n))` (torch's and Keras's bins).

    Subclasses set `_RANK` (spatial dimensions) and `_MODE` (`"average"` or `"max"`).

    Args:
        output_size: an integer (every spatial axis) or a tuple of `_RANK` integers.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `keras.config.image_data_format()`.
    """

    _RANK = 2
    _MODE = "average"

    def __init__(self, output_size: Any, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * self._RANK
        if (
            not isinstance(output_size, (tuple, list))
            or len(output_size) != self._RANK
            or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in output_size)
        ):
            raise TypeError(
                f"`output_size` must be a positive integer or a tuple of {self._RANK} positive integers. "
                f"Received: output_size={output_size!r}"
            )
        self.output_size = tuple(output_size)
        self.data_format = data_format_argument(data_format, type(self).__name__)
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        channels_last = self.data_format == "channels_last"
        if channels_last:
            inputs = torch.movedim(inputs, -1, 1)
        outputs = _POOLS[self._MODE, self._RANK](inputs, self.output_size)
        return torch.movedim(outputs, 1, -1) if channels_last else outputs

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self) -> dict:
        return {**super().get_config(), "output_size": self.output_size, "data_format": self.data_format}
