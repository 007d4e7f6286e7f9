"""`RandomPosterization`: keeps only the top bits of each pixel during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomPosterization"]


@register_builtin
class RandomPosterization(BaseImagePreprocessingLayer):
    """Reduces each image to `bits` bits per channel (on the 0-255 scale: the low `8 - bits`
    bits are cleared), `bits` drawn per image in `[factor[0], factor[1])` (or equal to it when
    both ends are equal); the identity at inference.

    Args:
        factor: an integer `f` in [1, 8] (bits in `[1, f)`) or a pair.
        value_range: `(min, max)` of the pixel values.
        data_format: `"channels_last"` or `"channels_first"`.
        seed: optional integer seed.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (1, 8)
    _MAX_FACTOR = 8

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = sorted(check_value_range(value_range, self._owner))
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"shift_factor": (batch,) uint8}`: how many low bits to clear (Keras's key)."""
        batch = data.shape[0] if data.ndim == 4 else 1
        low, high = int(self.factor[0]), int(self.factor[1])
        if low != high:
            generator = self._generator(data.device, seed)
            bits = torch.randint(low, high, (batch,), generator=generator, device=data.device)
        else:
            bits = torch.full((batch,), low, device=data.device)
        return {"shift_factor": (self._MAX_FACTOR - bits).to(torch.uint8)}

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        shift = torch.as_tensor(transformation["shift_factor"], device=images.device).reshape(-1, 1, 1, 1)
        low, high = (float(v) for v in self.value_range)
        pixels = ((images - low) / (high - low) * 255.0).to(torch.uint8)
        pixels = (pixels >> shift) << shift
        return pixels.to(images.dtype) / 255.0 * (high - low) + low

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
