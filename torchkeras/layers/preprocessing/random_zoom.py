"""`RandomZoom`: zooms images in or out by a random factor during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseAffineLayer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomZoom"]


@register_builtin
class RandomZoom(BaseAffineLayer):
    """Zooms each image about its center by a random factor during training; the identity at
    inference.

    Args:
        height_factor: a number `f` or a pair `(lower, upper)` in (-1, 1]: the vertical zoom
            scales the sampled window by a factor drawn in `[1 + lower, 1 + upper]`, so
            positive values zoom out and negative values zoom in (`f` means `[-f, f]`).
        width_factor: the same for the horizontal zoom; `None` uses the vertical factor
            for both, keeping the aspect ratio.
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` or `"nearest"` (see `RandomRotation`).
        interpolation: `"bilinear"` or `"nearest"`.
        seed: optional integer seed.
        fill_value: value of the points outside the image with `fill_mode="constant"`.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `keras.config.image_data_format()`.

    Call arguments:
        inputs: images of rank 3 or 4.
        training: whether to zoom.

    Output shape:
        Same as the input, in the compute dtype.
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._factor_range(height_factor, "height_factor", True)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = self._factor_range(width_factor, "width_factor", True)
        self._set_warp_options(fill_mode, interpolation, fill_value)
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"height_zoom": (batch, 1), "width_zoom": (batch, 1), "input_shape": shape}` (Keras's keys)."""
        if not training:
            return None
        shape = (data.shape[0], 1) if data.ndim == 4 else (1, 1)
        generator = self._generator(data.device, seed)
        height_zoom = self._uniform(shape, 1.0 + self.height_lower, 1.0 + self.height_upper, data, generator)
        width_zoom = height_zoom
        if self.width_factor is not None:
            width_zoom = self._uniform(shape, 1.0 + self.width_lower, 1.0 + self.width_upper, data, generator)
        return {"height_zoom": height_zoom, "width_zoom": width_zoom, "input_shape": tuple(data.shape)}

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        zoom_x = torch.as_tensor(transformation["width_zoom"], device=images.device).float().reshape(-1, 1)
        zoom_y = torch.as_tensor(transformation["height_zoom"], device=images.device).float().reshape(-1, 1)
        height, width = self._height_width(images)
        offset_x = (width - 1.0) / 2.0 * (1.0 - zoom_x)
        offset_y = (height - 1.0) / 2.0 * (1.0 - zoom_y)
        zeros = torch.zeros_like(zoom_x)
        matrix = torch.cat([zoom_x, zeros, offset_x, zeros, zoom_y, offset_y, zeros, zeros], dim=1)
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
