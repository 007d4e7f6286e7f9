"""`AdaptiveMaxPooling1D`: adaptive max pooling of 1D data to a fixed output size."""

from __future__ import annotations

from torchkeras.layers.pooling.base_adaptive_pooling import BaseAdaptivePooling
from torchkeras.utils.registry import register_builtin

__all__ = ["AdaptiveMaxPooling1D"]


@register_builtin
class AdaptiveMaxPooling1D(BaseAdaptivePooling):
    """Takes the max of each of `output_size` windows per spatial axis, whatever the input size.

    Args:
        output_size: an integer or a tuple of 1 integers.
        data_format: `"channels_last"` (inputs `(batch, steps, channels)`) or `"channels_first"`.

    Output shape:
        `(batch, output_size, channels)` for `"channels_last"`.

    Example:
    ```python
    layer = keras.layers.AdaptiveMaxPooling1D(output_size=2)
    ```
    """

    _RANK = 1
    _MODE = "max"
