"""`RandomGaussianBlur`: blurs randomly chosen images with a random Gaussian kernel during training."""

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
from torchkeras.utils.validation import invalid

__all__ = ["RandomGaussianBlur", "gaussian_blur"]


def gaussian_blur(
    images: torch.Tensor, kernel_size: int, sigma: torch.Tensor, data_format: str
) -> torch.Tensor:
    """Blurs a batch with the separable Gaussian of standard deviations `sigma` `(x, y)` over a
    `kernel_size` square window, zero padded (Keras's `ops.image.gaussian_blur`)."""
    x = images.movedim(-1, 1) if data_format == "channels_last" else images
    offsets = torch.arange(kernel_size, dtype=x.dtype, device=x.device) - (kernel_size - 1) / 2
    sigma = sigma.to(device=x.device, dtype=x.dtype)
    along_x = torch.exp(-0.5 * (offsets / sigma[0]) ** 2)
    along_y = torch.exp(-0.5 * (offsets / sigma[1]) ** 2)
    kernel = torch.outer(along_y / along_y.sum(), along_x / along_x.sum())
    channels = x.shape[1]
    blurred = F.conv2d(
        x, kernel.expand(channels, 1, kernel_size, kernel_size), padding=kernel_size // 2, groups=channels
    )
    return blurred.movedim(1, -1) if data_format == "channels_last" else blurred


@register_builtin
class RandomGaussianBlur(BaseImagePreprocessingLayer):
    """Blurs each image with probability `p` (drawn per image in `factor`) using one Gaussian
    kernel per batch, its standard deviations along x and y drawn in `sigma` (Keras's draw); the
    result is clipped to `value_range`. The identity at inference.

    Args:
        factor: a number `f` (the range `[0, f]`) or a pair, within [0, 1]: the blur probability.
        kernel_size: an odd integer, the window size (a pair must repeat one odd size).
        sigma: a number `s` (the range `[0, s]`) or a pair, within [0, 1]: the standard deviation.
        value_range: `(min, max)` of the pixel values.
        data_format: `"channels_last"` or `"channels_first"`.
        seed: optional integer seed.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        kernel_size: Any = 3,
        sigma: Any = 1.0,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        sizes = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
        valid = all(isinstance(s, int) and not isinstance(s, bool) and s > 0 and s % 2 for s in sizes)
        if len(sizes) != 2 or not valid or sizes[0] != sizes[1]:
            raise invalid(
                "kernel_size",
                "must be an odd positive integer (or a pair of the same one)",
                kernel_size,
                self._owner,
            )
        self.kernel_size = sizes
        factor_range = self.factor
        self._set_factor(sigma)
        self.sigma, self.factor = self.factor, factor_range
        check_value_range(value_range, self._owner)
        self.value_range = value_range
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"should_apply_blur": (batch,) bool, "blur_factor": (2,)}` (Keras's keys)."""
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0] if images.ndim == 4 else 1
        generator = self._generator(images.device, seed)
        probability = self._uniform((batch,), self.factor[0], self.factor[1], images, generator)
        threshold = self._uniform((batch,), 0.0, 1.0, images, generator)
        blur = (
            self._uniform((2,), self.sigma[0], self.sigma[1], images, generator, dtype=self.compute_dtype)
            + 1e-6
        )
        return {"should_apply_blur": threshold < probability, "blur_factor": blur}

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        sigma = torch.as_tensor(transformation["blur_factor"])
        apply = torch.as_tensor(transformation["should_apply_blur"], device=images.device).reshape(
            -1, 1, 1, 1
        )
        blurred = gaussian_blur(images, self.kernel_size[0], sigma, self.data_format)
        low, high = sorted(self.value_range)
        return torch.where(apply, blurred, images).clip(low, high)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "kernel_size": self.kernel_size,
            "sigma": self.sigma,
            "value_range": self.value_range,
            "seed": self.seed,
        }
