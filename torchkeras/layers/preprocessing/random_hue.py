"""`RandomHue`: rotates the hue of each image by a random amount during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.preprocessing.color_ops import (
    channel_axis,
    hsv_to_rgb,
    rgb_to_hsv,
    transform_value_range,
)
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomHue"]


@register_builtin
class RandomHue(BaseImagePreprocessingLayer):
    """Shifts the hue of each RGB image by `±f / 2` of a full turn, `f` drawn in `factor` and the
    sign at random (Keras's draw); the identity at inference.

    Args:
        factor: a number `f` (the range `[0, f]`) or a pair, within [0, 1]; 1 allows any hue.
        value_range: `(min, max)` of the pixel values.
        data_format: `"channels_last"` or `"channels_first"`.
        seed: optional integer seed.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        check_value_range(value_range, self._owner)
        self.value_range = value_range
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> dict:
        """`{"factor": (batch,)}`: the hue shift in turns (Keras's key)."""
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0] if images.ndim == 4 else 1
        generator = self._generator(images.device, seed)
        sign = torch.where(self._uniform((batch,), 0.0, 1.0, images, generator) > 0.5, -1.0, 1.0)
        amount = self._uniform((batch,), self.factor[0], self.factor[1], images, generator)
        return {"factor": sign * amount * 0.5}

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        images = transform_value_range(images, self.value_range, (0, 1))
        shift = torch.as_tensor(transformation["factor"], device=images.device).to(images.dtype)
        hsv = rgb_to_hsv(images, self.data_format)
        axis = channel_axis(self.data_format)
        hue, saturation, value = hsv.unbind(axis)
        hue = hue + shift.reshape(-1, 1, 1)
        hue = torch.where(hue > 1.0, hue - 1.0, hue)
        hue = torch.where(hue < 0.0, hue + 1.0, hue)
        rgb = hsv_to_rgb(torch.stack([hue, saturation, value], dim=axis), self.data_format).clip(0, 1)
        return transform_value_range(rgb, (0, 1), self.value_range).to(self._float_dtype)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
