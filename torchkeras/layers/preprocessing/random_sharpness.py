"""`RandomSharpness`: sharpens or blurs each image by a random amount during training."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomSharpness"]


@register_builtin
class RandomSharpness(BaseImagePreprocessingLayer):
    """Each image becomes `x + (1 - 2 f) * (smooth(x) - x)`, clipped to `value_range`, with `f`
    drawn in `factor` and `smooth` the 3x3 filter `[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13` (zero
    padded), as Keras computes it: `f = 0.5` keeps the image, 0 blurs, 1 sharpens. The identity at
    inference.

    Args:
        factor: a number `f` (the range `[0, f]`) or a pair, within [0, 1].
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
        self.value_range = sorted(check_value_range(value_range, self._owner))
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> dict:
        """`{"factor": (batch,)}` (Keras's key)."""
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0] if images.ndim == 4 else 1
        return {"factor": self._uniform((batch,), self.factor[0], self.factor[1], images, seed)}

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        amount = torch.as_tensor(transformation["factor"], device=images.device).to(images.dtype) * 2
        x = images.movedim(-1, 1) if self.data_format == "channels_last" else images
        channels = x.shape[1]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = torch.full((3, 3), a, dtype=x.dtype, device=x.device)
        kernel[1, 1] = b
        smoothed = F.conv2d(x, kernel.expand(channels, 1, 3, 3), padding=1, groups=channels)
        out = x + (1.0 - amount.reshape(-1, 1, 1, 1)) * (smoothed - x)
        out = out.clip(*self.value_range)
        return out.movedim(1, -1) if self.data_format == "channels_last" else out

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
