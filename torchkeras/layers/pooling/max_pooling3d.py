"""`MaxPooling3D`: 3D maximum pooling layer."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.pooling.base_pooling import BasePooling
from torchkeras.utils.registry import register_builtin

__all__ = ["MaxPooling3D", "MaxPool3D"]


@register_builtin
class MaxPooling3D(BasePooling):
    """3D maximum pooling: the maximum of each `pool_size` window, moved by `strides`.

    Args:
        pool_size: integer or tuple of 3 integers, the window size (2 by default).
        strides: integer or tuple of 3 integers; `None` (default) means `pool_size`.
        padding: `"valid"` (only whole windows) or `"same"` (`ceil(size / strides)`
            outputs, an odd extra padding cell at the end, as in Keras; padded cells never win).
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        name: the layer's name.
        **kwargs: base `Layer` arguments (`dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, dim1, dim2, dim3, channels)` with `"channels_last"`, or
        `(batch_size, channels, dim1, dim2, dim3)` with `"channels_first"`.

    Output shape:
        `(batch_size, pooled_dim1, pooled_dim2, pooled_dim3, channels)` with `"channels_last"`, or
        `(batch_size, channels, pooled_dim1, pooled_dim2, pooled_dim3)` with `"channels_first"`.

    Example:
    ```python
    x = np.random.rand(4, 10, 10, 10, 3).astype("float32")
    y = keras.layers.MaxPooling3D()(x)  # shape (4, 5, 5, 5, 3)
    ```
    """

    def __init__(
        self,
        pool_size: int | tuple[int, ...] = (2, 2, 2),
        strides: int | tuple[int, ...] | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=3,
            pool_mode="max",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )


MaxPool3D = MaxPooling3D
register_builtin(MaxPooling3D, "MaxPool3D")
