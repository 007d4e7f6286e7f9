"""`UpSampling3D`: enlarges 3D feature maps by repeating entries."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.reshaping.base_up_sampling import UpSampling
from torchkeras.utils.registry import register_builtin

__all__ = ["UpSampling3D"]


@register_builtin
class UpSampling3D(UpSampling):
    """Repeats each entry `size[i]` times along each of the 3 spatial axes.

    Args:
        size: an int or 3 ints, the factors of the three spatial axes.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        **kwargs: base `Layer` arguments.

    Input shape:
        `(batch_size, dim1, dim2, dim3, channels)` (channels_last) or
        `(batch_size, channels, dim1, dim2, dim3)`.

    Output shape:
        The same with each spatial size multiplied by its factor.
    """

    rank = 3

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None, **kwargs: Any):
        super().__init__(size, data_format, **kwargs)
