"""`RandomBrightness`: adds a random brightness offset to each image during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomBrightness"]


@register_builtin
class RandomBrightness(BaseImagePreprocessingLayer):
    """Shifts the brightness of each image by a random offset during training; the identity at
    inference.

    The offset is `d * (max - min)` of `value_range`, `d` drawn in `[factor[0], factor[1]]`
    (a number `f` means `[-f, f]`); the result is clipped to `value_range`. Integer images
    stay integers (the offset is truncated to an integer, as in Keras).

    Args:
        factor: a number or a pair of numbers in [-1, 1].
        value_range: `(min, max)` of the pixel values.
        seed: optional integer seed.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `keras.config.image_data_format()`.

    Call arguments:
        inputs: images of rank 3 or 4.
        training: whether to change the brightness.

    Output shape:
        Same as the input, same dtype.
    """

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self.value_range = sorted(check_value_range(value_range, self._owner))
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"rgb_delta": (batch, 1, 1, 1)}` (Keras's key)."""
        shape = (1, 1, 1) if data.ndim == 3 else (data.shape[0], 1, 1, 1)
        if not training:
            return {"rgb_delta": torch.zeros(shape, device=data.device)}
        lower, upper = self.factor
        delta = self._uniform(shape, lower, upper, data, seed)
        return {"rgb_delta": delta * (self.value_range[1] - self.value_range[0])}

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        images = torch.as_tensor(images)
        if not training:
            return images
        delta = torch.as_tensor(transformation["rgb_delta"], device=images.device)
        if images.ndim == 3:
            delta = delta.reshape(1, 1, 1)
        low, high = self.value_range
        if images.is_floating_point():
            return (images + delta.to(images.dtype)).clamp(low, high)
        shifted = images.to(torch.int64) + torch.trunc(delta).to(torch.int64)
        return shifted.clamp(low, high).to(images.dtype)

    def _inference(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
