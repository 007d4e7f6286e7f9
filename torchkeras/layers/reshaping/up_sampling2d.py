"""`UpSampling2D`: enlarges 2D feature maps by integer factors."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.reshaping.base_up_sampling import UpSampling
from torchkeras.utils.registry import register_builtin

__all__ = ["UpSampling2D"]


@register_builtin
class UpSampling2D(UpSampling):
    """Enlarges rows by `size[0]` and columns by `size[1]`, repeating entries (`"nearest"`) or
    interpolating (`"bilinear"`, `"bicubic"`: half-pixel centers, as Keras's `ops.image.resize`).

    Args:
        size: an int or a pair of ints, the row and column factors.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        interpolation: `"nearest"`, `"bilinear"` or `"bicubic"`.
        **kwargs: base `Layer` arguments.

    Input shape:
        `(batch_size, rows, cols, channels)` (channels_last) or `(batch_size, channels, rows, cols)`.

    Output shape:
        The same with `rows * size[0]` and `cols * size[1]`.
    """

    rank = 2
    interpolations = ("nearest", "bilinear", "bicubic")

    def __init__(
        self,
        size: Any = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ):
        super().__init__(size, data_format, interpolation, **kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "interpolation": self.interpolation}
