"""`AdaptiveAveragePooling3D`: adaptive average pooling of 3D data to a fixed output size."""

from __future__ import annotations

from torchkeras.layers.pooling.base_adaptive_pooling import BaseAdaptivePooling
from torchkeras.utils.registry import register_builtin

__all__ = ["AdaptiveAveragePooling3D"]


@register_builtin
class AdaptiveAveragePooling3D(BaseAdaptivePooling):
    """Takes the average of each of `output_size` windows per spatial axis, whatever the input size.

    Args:
        output_size: an integer or a tuple of 3 integers.
        data_format: `"channels_last"` (inputs `(batch, depth, height, width, channels)`) or
            `"channels_first"`.

    Output shape:
        `(batch, *output_size, channels)` for `"channels_last"`.

    Example:
    ```python
    layer = keras.layers.AdaptiveAveragePooling3D(output_size=2)
    ```
    """

    _RANK = 3
    _MODE = "average"
