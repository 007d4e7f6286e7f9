"""`AveragePooling2D`: 2D average pooling layer."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.pooling.base_pooling import BasePooling
from torchkeras.utils.registry import register_builtin

__all__ = ["AveragePooling2D", "AvgPool2D"]


@register_builtin
class AveragePooling2D(BasePooling):
    """2D average pooling: the average of each `pool_size` window, moved by `strides`.

    Args:
        pool_size: integer or tuple of 2 integers, the window size.
        strides: integer or tuple of 2 integers; `None` (default) means `pool_size`.
        padding: `"valid"` (only whole windows) or `"same"` (`ceil(size / strides)`
            outputs, an odd extra padding cell at the end, as in Keras; windows average only
            their real cells).
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        name: the layer's name.
        **kwargs: base `Layer` arguments (`dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, rows, cols, channels)` with `"channels_last"`, or
        `(batch_size, channels, rows, cols)` with `"channels_first"`.

    Output shape:
        `(batch_size, pooled_rows, pooled_cols, channels)` with `"channels_last"`, or
        `(batch_size, channels, pooled_rows, pooled_cols)` with `"channels_first"`.

    Example:
    ```python
    x = np.random.rand(4, 10, 10, 3).astype("float32")
    y = keras.layers.AveragePooling2D(2)(x)  # shape (4, 5, 5, 3)
    ```
    """

    def __init__(
        self,
        pool_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=2,
            pool_mode="average",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )


AvgPool2D = AveragePooling2D
register_builtin(AveragePooling2D, "AvgPool2D")
