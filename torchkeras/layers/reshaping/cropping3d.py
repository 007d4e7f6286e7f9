"""`Cropping3D`: crops the spatial axes of 3D feature maps."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.reshaping.base_cropping import Cropping
from torchkeras.utils.registry import register_builtin

__all__ = ["Cropping3D"]


@register_builtin
class Cropping3D(Cropping):
    """Crops `(before, after)` entries from the ends of each of the 3 spatial axes.

    Args:
        cropping: an int (same everywhere), 3 ints (symmetric per axis) or 3 pairs
            `(before, after)`.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        **kwargs: base `Layer` arguments.

    Input shape:
        `(batch_size, dim1, dim2, dim3, channels)` (channels_last) or
        `(batch_size, channels, dim1, dim2, dim3)` (channels_first).

    Output shape:
        The same with each spatial size reduced by its `before + after`.
    """

    rank = 3

    def __init__(
        self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None, **kwargs: Any
    ):
        super().__init__(cropping, data_format, **kwargs)
