"""`UpSampling1D`: repeats each step of `(batch, steps, features)` inputs."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.reshaping.base_up_sampling import UpSampling
from torchkeras.utils.registry import register_builtin

__all__ = ["UpSampling1D"]


@register_builtin
class UpSampling1D(UpSampling):
    """Repeats each step `size` times along the steps axis.

    Args:
        size: positive int, the repetition factor.
        **kwargs: base `Layer` arguments.

    Input shape:
        `(batch_size, steps, features)`.

    Output shape:
        `(batch_size, steps * size, features)`.

    Example:
    ```python
    y = keras.layers.UpSampling1D(2)(np.arange(6.0).reshape(1, 3, 2))  # shape (1, 6, 2)
    ```
    """

    rank = 1

    def __init__(self, size: int = 2, **kwargs: Any):
        super().__init__(size, "channels_last", **kwargs)

    def get_config(self) -> dict:
        config_dict = super().get_config()
        del config_dict["data_format"]  # as Keras: always channels_last
        return config_dict
