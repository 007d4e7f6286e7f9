"""`Cropping1D`: crops the steps axis of `(batch, steps, features)` inputs."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.reshaping.base_cropping import Cropping
from torchkeras.utils.registry import register_builtin

__all__ = ["Cropping1D"]


@register_builtin
class Cropping1D(Cropping):
    """Crops `(before, after)` steps from the ends of the steps axis (axis 1).

    Args:
        cropping: an int (same at both ends) or a pair `(before, after)`.
        **kwargs: base `Layer` arguments.

    Input shape:
        `(batch_size, steps, features)`.

    Output shape:
        `(batch_size, steps - before - after, features)`.

    Example:
    ```python
    y = keras.layers.Cropping1D((1, 2))(np.ones((2, 6, 3)))  # shape (2, 3, 3)
    ```
    """

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any):
        super().__init__(cropping, "channels_last", **kwargs)

    def get_config(self) -> dict:
        config_dict = super().get_config()
        del config_dict["data_format"]  # as Keras: always channels_last
        return config_dict
