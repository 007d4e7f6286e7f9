"""`MaxPooling2D`: 2D maximum pooling layer."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.pooling.base_pooling import BasePooling
from torchkeras.utils.registry import register_builtin

__all__ = ["MaxPooling2D", "MaxPool2D"]


@register_builtin
class MaxPooling2D(BasePooling):
    """2D maximum pooling: the maximum of each `pool_size` window, moved by `strides`.

    Args:
        pool_size: integer or tuple of 2 integers, the window size (2 by default).
        strides: integer or tuple of 2 integers; `None` (default) means `pool_size`.
        padding: `"valid"` (only whole windows) or `"same"` (`ceil(size / strides)`
            outputs, an odd extra padding cell at the end, as in Keras; padded cells never win).
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
    y = keras.layers.MaxPooling2D()(x)  # shape (4, 5, 5, 3)
    ```
    """

    def __init__(
        self,
        pool_size: int | tuple[int, ...] = (2, 2),
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
            pool_mode="max",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )


MaxPool2D = MaxPooling2D
register_builtin(MaxPooling2D, "MaxPool2D")
