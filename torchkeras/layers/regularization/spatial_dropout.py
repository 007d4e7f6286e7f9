"""`SpatialDropout1D`, `SpatialDropout2D`, `SpatialDropout3D`: dropout of whole feature maps."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config
from torchkeras.layers.regularization.dropout import Dropout
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_choice

__all__ = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]


class BaseSpatialDropout(Dropout):
    """Drops entire channels: one keep/drop draw per (sample, channel), shared by all positions,
    kept channels scaled by `1 / (1 - rate)`; the identity at inference.

    Args:
        rate: float in [0, 1], fraction of the channels to drop.
        data_format: `"channels_last"` or `"channels_first"` (2D and 3D layers only).
        seed: optional integer seed.
        name, dtype: base `Layer` arguments.
    """

    rank: int = 0

    def __init__(
        self,
        rate: float,
        data_format: str | None = None,
        seed: int | None = None,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = check_choice(
            data_format or config.image_data_format(),
            ("channels_last", "channels_first"),
            "data_format",
            f"{type(self).__name__} '{self.name}'",
        )

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        if inputs.ndim != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected inputs of rank {self.rank + 2}. "
                f"Received: inputs.shape={tuple(inputs.shape)}"
            )
        if not training or self.rate == 0:
            return inputs
        if self.rate >= 1:
            return torch.zeros_like(inputs)
        channel_axis = 1 if self.data_format == "channels_first" else inputs.ndim - 1
        noise_shape = [1] * inputs.ndim
        noise_shape[0], noise_shape[channel_axis] = inputs.shape[0], inputs.shape[channel_axis]
        keep = self._random.keep_mask(tuple(noise_shape), self.rate, inputs)
        return inputs * keep.div_(1.0 - self.rate)

    def get_config(self) -> dict:
        config_dict = {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}
        if self.rank > 1:  # as Keras: SpatialDropout1D has no data_format
            config_dict["data_format"] = self.data_format
        return config_dict


@register_builtin
class SpatialDropout1D(BaseSpatialDropout):
    """Spatial dropout for `(batch, steps, channels)` inputs: drops whole channels.

    Args:
        rate: float in [0, 1], fraction of the channels to drop.
        seed: optional integer seed.
    """

    rank = 1

    def __init__(
        self, rate: float, seed: int | None = None, name: str | None = None, dtype: Any = None, **kwargs: Any
    ):
        super().__init__(rate, "channels_last", seed=seed, name=name, dtype=dtype, **kwargs)


@register_builtin
class SpatialDropout2D(BaseSpatialDropout):
    """Spatial dropout for 4D inputs: drops whole 2D feature maps.

    Args:
        rate: float in [0, 1], fraction of the channels to drop.
        data_format: `"channels_last"` (`(batch, rows, cols, channels)`) or `"channels_first"`;
            `image_data_format()` by default.
        seed: optional integer seed.
    """

    rank = 2


@register_builtin
class SpatialDropout3D(BaseSpatialDropout):
    """Spatial dropout for 5D inputs: drops whole 3D feature maps.

    Args:
        rate: float in [0, 1], fraction of the channels to drop.
        data_format: `"channels_last"` (`(batch, d1, d2, d3, channels)`) or `"channels_first"`;
            `image_data_format()` by default.
        seed: optional integer seed.
    """

    rank = 3
