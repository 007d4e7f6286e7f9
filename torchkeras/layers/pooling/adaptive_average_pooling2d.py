"""`AdaptiveAveragePooling2D`: adaptive average pooling of 2D data to a fixed output size."""

from __future__ import annotations

from torchkeras.layers.pooling.base_adaptive_pooling import BaseAdaptivePooling
from torchkeras.utils.registry import register_builtin

__all__ = ["AdaptiveAveragePooling2D"]


@register_builtin
class AdaptiveAveragePooling2D(BaseAdaptivePooling):
    """Takes the average of each of `output_size` windows per spatial axis, whatever the input size.

    Args:
        output_size: an integer or a tuple of 2 integers.
        data_format: `"channels_last"` (inputs `(batch, height, width, channels)`) or `"channels_first"`.

    Output shape:
        `(batch, *output_size, channels)` for `"channels_last"`.

    Example:
    ```python
    layer = keras.layers.AdaptiveAveragePooling2D(output_size=2)
    ```
    """

    _RANK = 2
    _MODE = "average"
