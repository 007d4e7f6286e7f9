"""`GlobalMaxPooling1D`: 1D global maximum pooling layer."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.pooling.base_global_pooling import BaseGlobalPooling
from torchkeras.utils.registry import register_builtin

__all__ = ["GlobalMaxPooling1D", "GlobalMaxPool1D"]


@register_builtin
class GlobalMaxPooling1D(BaseGlobalPooling):
    """1D global maximum pooling: the maximum over all steps, channel by channel.

    Args:
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        keepdims: whether to keep the spatial axes, with size 1 (default `False`).
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, steps, channels)` with `"channels_last"`, or
        `(batch_size, channels, steps)` with `"channels_first"`.

    Output shape:
        `(batch_size, channels)`, or with `keepdims=True`
        `(batch_size, 1, channels)` (`"channels_last"`) /
        `(batch_size, channels, 1)` (`"channels_first"`).

    Example:
    ```python
    x = np.random.rand(4, 10, 3).astype("float32")
    y = keras.layers.GlobalMaxPooling1D()(x)  # shape (4, 3)
    ```
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(1, "max", data_format=data_format, keepdims=keepdims, **kwargs)


GlobalMaxPool1D = GlobalMaxPooling1D
register_builtin(GlobalMaxPooling1D, "GlobalMaxPool1D")
