"""`ZeroPadding3D`: pads the spatial axes of 3D inputs with zeros."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.reshaping.base_zero_padding import ZeroPadding
from torchkeras.utils.registry import register_builtin

__all__ = ["ZeroPadding3D"]


@register_builtin
class ZeroPadding3D(ZeroPadding):
    """Adds `(before, after)` zeros at the ends of each of the 3 spatial axes.

    Args:
        padding: an int (same everywhere), 3 ints (symmetric per axis) or 3 pairs
            `(before, after)`.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        **kwargs: base `Layer` arguments.

    Input shape:
        `(batch_size, dim1, dim2, dim3, channels)` (channels_last) or
        `(batch_size, channels, dim1, dim2, dim3)` (channels_first).

    Output shape:
        The same with each spatial size increased by its `before + after`.
    """

    rank = 3

    def __init__(
        self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None, **kwargs: Any
    ):
        super().__init__(padding, data_format, **kwargs)
