"""`Cropping2D`: crops the spatial axes of 2D feature maps."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.reshaping.base_cropping import Cropping
from torchkeras.utils.registry import register_builtin

__all__ = ["Cropping2D"]


@register_builtin
class Cropping2D(Cropping):
    """Crops `(before, after)` entries from the ends of each of the 2 spatial axes.

    Args:
        cropping: an int (same everywhere), 2 ints (symmetric per axis) or 2 pairs
            `(before, after)`.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        **kwargs: base `Layer` arguments.

    Input shape:
        `(batch_size, rows, cols, channels)` (channels_last) or `(batch_size, channels, rows, cols)`
        (channels_first).

    Output shape:
        The same with each spatial size reduced by its `before + after`.
    """

    rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any):
        super().__init__(cropping, data_format, **kwargs)
