"""`BasePooling`: the N-D max / average pooling behind `MaxPooling2D`, `AveragePooling2D`, ..."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras import config
from torchkeras.layers.layer import Layer
from torchkeras.utils.shapes import same_padding, spatial_output_shape, standardize_tuple
from torchkeras.utils.validation import check_choice

__all__ = ["BasePooling"]

_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


class BasePooling(Layer):
    """N-D pooling: the max or the average of each window, channel by channel.

    With `padding="same"` the output has `ceil(size / strides)` cells and the windows are
    padded as in Keras (an odd extra cell goes at the end); padded cells never count: max
    pooling ignores them and average pooling divides by the number of real cells in each
    window.

    Args:
        pool_size: integer or tuple of `pool_dimensions` integers, the window size.
        strides: integer or tuple of `pool_dimensions` integers; `None` means `pool_size`.
        pool_dimensions: number of spatial dimensions (1, 2 or 3).
        pool_mode: `"max"` or `"average"`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        name: the layer's name.
        **kwargs: base `Layer` arguments (`dtype`, `trainable`, ...).
    """

    def __init__(
        self,
        pool_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] | None,
        pool_dimensions: int,
        pool_mode: str = "max",
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(name=name, **kwargs)
        owner = self.owner
        self.pool_dimensions = pool_dimensions
        self.pool_size = standardize_tuple(pool_size, pool_dimensions, "pool_size", owner)
        strides = pool_size if strides is None else strides
        self.strides = standardize_tuple(strides, pool_dimensions, "strides", owner)
        self.pool_mode = check_choice(pool_mode, ("max", "average"), "pool_mode", owner)
        self.padding = check_choice(padding, ("valid", "same"), "padding", owner)
        data_format = data_format or config.image_data_format()
        self.data_format = check_choice(
            data_format, ("channels_last", "channels_first"), "data_format", owner
        )
        self.built = True

    @property
    def owner(self) -> str:
        """How error messages name this layer: `"MaxPooling2D 'max_pooling2d'"`."""
        return f"{type(self).__name__} '{self.name}'"

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self.compute_output_shape(inputs.shape)  # checks the rank and, with "valid", the size
        channels_last = self.data_format == "channels_last"
        x = inputs.movedim(-1, 1) if channels_last else inputs  # a view, no copy
        x = self._pool(x)
        return x.movedim(1, -1) if channels_last else x

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        """Pools channels-first `x`."""
        rank = self.pool_dimensions
        pads = [(0, 0)] * rank
        if self.padding == "same":
            pads = [same_padding(n, k, s) for n, k, s in zip(x.shape[2:], self.pool_size, self.strides)]
        symmetric = all(left == right for left, right in pads)
        if symmetric:  # torch pads, and never counts padding in averages
            padding = tuple(left for left, _ in pads)
            if self.pool_mode == "max":
                return _MAX_POOL[rank](x, self.pool_size, self.strides, padding)
            return _AVG_POOL[rank](x, self.pool_size, self.strides, padding, count_include_pad=False)
        flat = [amount for pair in reversed(pads) for amount in pair]  # F.pad lists the last axis first
        if self.pool_mode == "max":
            return _MAX_POOL[rank](F.pad(x, flat, value=float("-inf")), self.pool_size, self.strides)
        # Average over real cells only: the mean of the zero-padded window divided by the
        # fraction of real cells in it.
        sums = _AVG_POOL[rank](F.pad(x, flat), self.pool_size, self.strides)
        ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device)
        return sums / _AVG_POOL[rank](F.pad(ones, flat), self.pool_size, self.strides)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) != self.pool_dimensions + 2:
            raise ValueError(
                f"{self.owner}: expected inputs of rank {self.pool_dimensions + 2} "
                f"(batch, {self.pool_dimensions} spatial dimensions, channels). "
                f"Received: inputs.shape={input_shape}"
            )
        channels_last = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if channels_last else input_shape[2:]
        spatial = spatial_output_shape(spatial, self.pool_size, self.strides, self.padding, owner=self.owner)
        if channels_last:
            return (input_shape[0], *spatial, input_shape[-1])
        return (input_shape[0], input_shape[1], *spatial)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }
