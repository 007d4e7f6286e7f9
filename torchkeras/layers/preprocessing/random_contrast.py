"""`RandomContrast`: scales each image's contrast by a random factor during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomContrast"]


@register_builtin
class RandomContrast(BaseImagePreprocessingLayer):
    """Adjusts the contrast of each image by a random factor during training; the identity at
    inference.

    Each image (each channel separately) becomes `(x - mean) * c + mean`, `mean` taken over
    height and width, then is clipped to `value_range`. As in Keras, a number `f` gives
    `self.factor == (0, f)` and `c` is drawn in `[1 - factor[0], 1 + factor[1]]`.

    Args:
        factor: a number or a pair of numbers in [0, 1].
        value_range: `(min, max)` of the pixel values, used for clipping.
        seed: optional integer seed.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `keras.config.image_data_format()`.

    Call arguments:
        inputs: images of rank 3 or 4.
        training: whether to change the contrast.

    Output shape:
        Same as the input; floats in training.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        check_value_range(value_range, self._owner)
        self.value_range = value_range
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"contrast_factor": (batch, 1, 1, 1)}` (Keras's key)."""
        shape = (1, 1, 1) if data.ndim == 3 else (data.shape[0], 1, 1, 1)
        if not training:
            return {"contrast_factor": torch.zeros(shape, device=data.device)}
        lower, upper = self.factor
        contrast = self._uniform(shape, 1.0 - lower, 1.0 + upper, data, seed, dtype=self.compute_dtype)
        return {"contrast_factor": contrast}

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        images = torch.as_tensor(images)
        if not training:
            return images
        images = images.to(self._float_dtype)
        height_axis, width_axis = (-3, -2) if self.data_format == "channels_last" else (-2, -1)
        mean = images.mean(dim=height_axis, keepdim=True).mean(dim=width_axis, keepdim=True)
        factor = torch.as_tensor(transformation["contrast_factor"], device=images.device)
        if images.ndim == 3:
            factor = factor.reshape(1, 1, 1)
        outputs = (images - mean) * factor.to(images.dtype) + mean
        return outputs.clamp(self.value_range[0], self.value_range[1])

    def _inference(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
