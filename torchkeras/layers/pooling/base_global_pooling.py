"""`BaseGlobalPooling`: pooling over all spatial axes at once."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config
from torchkeras.layers.layer import Layer
from torchkeras.utils.validation import check_choice

__all__ = ["BaseGlobalPooling"]


class BaseGlobalPooling(Layer):
    """Reduces every spatial axis with the max or the mean, channel by channel.

    Args:
        pool_dimensions: number of spatial dimensions (1, 2 or 3).
        pool_mode: `"max"` or `"average"`.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        keepdims: whether to keep the spatial axes, with size 1.
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).
    """

    def __init__(
        self,
        pool_dimensions: int,
        pool_mode: str = "max",
        data_format: str | None = None,
        keepdims: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        owner = self.owner
        self.pool_dimensions = pool_dimensions
        self.pool_mode = check_choice(pool_mode, ("max", "average"), "pool_mode", owner)
        data_format = data_format or config.image_data_format()
        self.data_format = check_choice(
            data_format, ("channels_last", "channels_first"), "data_format", owner
        )
        self.keepdims = keepdims
        self.built = True

    @property
    def owner(self) -> str:
        """How error messages name this layer: `"GlobalMaxPooling2D 'global_max_pooling2d'"`."""
        return f"{type(self).__name__} '{self.name}'"

    @property
    def spatial_axes(self) -> tuple[int, ...]:
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.pool_dimensions))

    def check_rank(self, shape: tuple) -> None:
        if len(shape) != self.pool_dimensions + 2:
            raise ValueError(
                f"{self.owner}: expected inputs of rank {self.pool_dimensions + 2} "
                f"(batch, {self.pool_dimensions} spatial dimensions, channels). "
                f"Received: inputs.shape={tuple(shape)}"
            )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self.check_rank(inputs.shape)
        if self.pool_mode == "max":
            return inputs.amax(dim=self.spatial_axes, keepdim=self.keepdims)
        return inputs.mean(dim=self.spatial_axes, keepdim=self.keepdims)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        self.check_rank(input_shape)
        axes = self.spatial_axes
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}
