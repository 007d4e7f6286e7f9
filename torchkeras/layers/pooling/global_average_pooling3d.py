"""`GlobalAveragePooling3D`: 3D global average pooling layer."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.pooling.base_global_pooling import BaseGlobalPooling
from torchkeras.utils.registry import register_builtin

__all__ = ["GlobalAveragePooling3D", "GlobalAvgPool3D"]


@register_builtin
class GlobalAveragePooling3D(BaseGlobalPooling):
    """3D global average pooling: the average over all spatial positions, channel by channel.

    Args:
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        keepdims: whether to keep the spatial axes, with size 1 (default `False`).
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, dim1, dim2, dim3, channels)` with `"channels_last"`, or
        `(batch_size, channels, dim1, dim2, dim3)` with `"channels_first"`.

    Output shape:
        `(batch_size, channels)`, or with `keepdims=True`
        `(batch_size, 1, 1, 1, channels)` (`"channels_last"`) /
        `(batch_size, channels, 1, 1, 1)` (`"channels_first"`).

    Example:
    ```python
    x = np.random.rand(4, 10, 10, 10, 3).astype("float32")
    y = keras.layers.GlobalAveragePooling3D()(x)  # shape (4, 3)
    ```
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(3, "average", data_format=data_format, keepdims=keepdims, **kwargs)


GlobalAvgPool3D = GlobalAveragePooling3D
register_builtin(GlobalAveragePooling3D, "GlobalAvgPool3D")
