"""`RandomSaturation`: scales the saturation of each image by a random factor during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config
from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.preprocessing.color_ops import channel_axis, hsv_to_rgb, rgb_to_hsv
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomSaturation"]


@register_builtin
class RandomSaturation(BaseImagePreprocessingLayer):
    """Multiplies the HSV saturation of each image by `f / (1 - f)`, `f` drawn in `factor`, as
    Keras does: `f = 0.5` keeps it, 0 removes it, values towards 1 saturate fully. The HSV
    conversion runs on the pixel values as given and the scaled saturation is clipped to
    `value_range` (Keras's arithmetic). The identity at inference.

    Args:
        factor: a number `f` (the range `[-f, f]`) or a pair, within [-1, 1].
        value_range: `(min, max)` of the pixel values.
        data_format: `"channels_last"` or `"channels_first"`.
        seed: optional integer seed.
    """

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self.value_range = sorted(check_value_range(value_range, self._owner))
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> dict:
        """`{"factor": (batch,)}`: the saturation multipliers (Keras's key)."""
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0] if images.ndim == 4 else 1
        factor = self._uniform((batch,), self.factor[0], self.factor[1], images, seed)
        return {"factor": factor / (1 - factor + config.epsilon())}

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        scale = torch.as_tensor(transformation["factor"], device=images.device).to(images.dtype)
        axis = channel_axis(self.data_format)
        hue, saturation, value = rgb_to_hsv(images, self.data_format).unbind(axis)
        saturation = (saturation * scale.reshape(-1, 1, 1)).clip(*self.value_range)
        return hsv_to_rgb(torch.stack([hue, saturation, value], dim=axis), self.data_format)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
