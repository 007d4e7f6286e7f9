"""`RandomColorDegeneration`: blends each image towards its grayscale version by a random amount."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.preprocessing.color_ops import rgb_to_grayscale
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomColorDegeneration"]


@register_builtin
class RandomColorDegeneration(BaseImagePreprocessingLayer):
    """Each image becomes `x + f * (gray(x) - x)`, clipped to `value_range`, with `f` drawn in
    `factor` per image (1 gives grayscale, negative values boost the colors); the identity at
    inference.

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
        """`{"factor": (batch, 1, 1, 1)}` (Keras's key)."""
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0] if images.ndim == 4 else 1
        return {"factor": self._uniform((batch, 1, 1, 1), self.factor[0], self.factor[1], images, seed)}

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        factor = torch.as_tensor(transformation["factor"], device=images.device).to(images.dtype)
        gray = rgb_to_grayscale(images, self.data_format)
        return (images + factor * (gray - images)).clip(*self.value_range)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
