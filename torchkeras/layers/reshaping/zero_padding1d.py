"""`ZeroPadding1D`: pads the steps axis of 1D inputs with zeros."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.reshaping.base_zero_padding import ZeroPadding
from torchkeras.utils.registry import register_builtin

__all__ = ["ZeroPadding1D"]


@register_builtin
class ZeroPadding1D(ZeroPadding):
    """Adds `(before, after)` zeros at the ends of the steps axis.

    Args:
        padding: an int (same at both ends) or a pair `(before, after)`.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        **kwargs: base `Layer` arguments.

    Input shape:
        `(batch_size, steps, channels)` (channels_last) or `(batch_size, channels, steps)`.

    Output shape:
        The same with each spatial size increased by its `before + after`.
    """

    rank = 1

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)
