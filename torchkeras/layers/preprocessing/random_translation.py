"""`RandomTranslation`: shifts images by a random offset during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseAffineLayer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomTranslation"]


@register_builtin
class RandomTranslation(BaseAffineLayer):
    """Shifts each image by a random offset during training; the identity at inference.

    Args:
        height_factor: a number `f` or a pair `(lower, upper)` in [-1, 1], fractions of the
            height: the vertical shift is drawn in `[lower * height, upper * height]`
            (`f` means `[-f, f]`); positive values shift down.
        width_factor: the same for the horizontal shift; positive values shift right.
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` or `"nearest"` (see `RandomRotation`).
        interpolation: `"bilinear"` or `"nearest"`.
        seed: optional integer seed.
        fill_value: value of the points outside the image with `fill_mode="constant"`.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `keras.config.image_data_format()`.

    Call arguments:
        inputs: images of rank 3 or 4.
        training: whether to translate.

    Output shape:
        Same as the input, in the compute dtype.
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._factor_range(height_factor, "height_factor")
        self.width_factor = width_factor
        self.width_lower, self.width_upper = self._factor_range(width_factor, "width_factor")
        self._set_warp_options(fill_mode, interpolation, fill_value)
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"translations": (batch, 2) pixel shifts (x, y), "input_shape": shape}` (Keras's keys)."""
        if not training:
            return None
        batch_size = data.shape[0] if data.ndim == 4 else 1
        height, width = self._height_width(data)
        generator = self._generator(data.device, seed)
        shift_y = (
            self._uniform((batch_size, 1), self.height_lower, self.height_upper, data, generator) * height
        )
        shift_x = self._uniform((batch_size, 1), self.width_lower, self.width_upper, data, generator) * width
        return {"translations": torch.cat([shift_x, shift_y], dim=1), "input_shape": tuple(data.shape)}

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        shifts = torch.as_tensor(transformation["translations"], device=images.device).float()
        ones = torch.ones_like(shifts[:, :1])
        zeros = torch.zeros_like(shifts[:, :1])
        matrix = torch.cat([ones, zeros, -shifts[:, :1], zeros, ones, -shifts[:, 1:], zeros, zeros], dim=1)
        return self._warp(images, matrix)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
        }
