"""`RandomRotation`: rotates images by a random angle during training."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseAffineLayer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomRotation", "rotation_matrix"]

_DEGREE = float(np.float32(math.pi / 180.0))  # Keras multiplies by pi / 180 rounded to float32


def rotation_matrix(angle: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Rows `[a0, a1, a2, b0, b1, b2, 0, 0]` rotating images about their center by `angle`
    degrees (one row per angle), in Keras's order of operations."""
    radians = angle * _DEGREE
    center_x = 0.5 * (float(width) - 1)
    center_y = 0.5 * (float(height) - 1)
    cos, sin = torch.cos(radians), torch.sin(radians)
    a2 = center_x - center_x * cos - center_y * -sin
    b2 = center_y - center_x * sin - center_y * cos
    zeros = torch.zeros_like(cos)
    return torch.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], dim=1)


@register_builtin
class RandomRotation(BaseAffineLayer):
    """Rotates each image by a random angle during training; the identity at inference.

    Args:
        factor: a number `f` or a pair `(lower, upper)`, fractions of a full turn in [-1, 1]:
            the angle is drawn uniformly in `[lower * 360, upper * 360]` degrees (`f` means
            `[-f, f]`); positive angles turn counter-clockwise. `(f, f)` rotates by exactly
            `f * 360` degrees.
        fill_mode: how points outside the image are filled: `"reflect"` (mirror about the
            edge), `"wrap"`, `"constant"` (`fill_value`) or `"nearest"` (edge pixel).
        interpolation: `"bilinear"` or `"nearest"`.
        seed: optional integer seed.
        fill_value: value of the points outside the image with `fill_mode="constant"`.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `keras.config.image_data_format()`.

    Call arguments:
        inputs: images of rank 3 or 4.
        training: whether to rotate.

    Output shape:
        Same as the input, in the compute dtype.
    """

    _USE_BASE_FACTOR = True

    def __init__(
        self,
        factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self._set_warp_options(fill_mode, interpolation, fill_value)
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"angle": degrees (batch,), "rotation_matrix": (batch, 8), ...}` (Keras's keys)."""
        if not training:
            return None
        batch_size = data.shape[0] if data.ndim == 4 else 1
        height, width = self._height_width(data)
        lower, upper = self.factor
        angle = self._uniform((batch_size,), lower * 360.0, upper * 360.0, data, seed)
        return {
            "angle": angle,
            "rotation_matrix": rotation_matrix(angle, height, width),
            "image_height": height,
            "image_width": width,
            "batch_size": batch_size,
        }

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        return self._warp(images, torch.as_tensor(transformation["rotation_matrix"]))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }
