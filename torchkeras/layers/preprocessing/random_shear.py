"""`RandomShear`: shears each image along x and y by random amounts during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseAffineLayer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["RandomShear"]


def shear_matrix(shear: torch.Tensor) -> torch.Tensor:
    """`(batch, 8)` rows `[1, sx, 0, sy, 1, 0, 0, 0]`: output `(y, x)` samples the input at
    `(sy x + y, x + sx y)`."""
    ones, zeros = torch.ones_like(shear[:, 0]), torch.zeros_like(shear[:, 0])
    return torch.stack([ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], dim=1)


@register_builtin
class RandomShear(BaseAffineLayer):
    """Shears each image by `sx` along x and `sy` along y, drawn in `x_factor` / `y_factor`, both
    with one random sign per image (Keras's draw); the identity at inference.

    Args:
        x_factor, y_factor: a number `f` in [0, 1] (the range `[-f, f]`) or a pair `(lower, upper)`
            in [-1, 1]; the drawn shear also gets a random sign, as in Keras.
        interpolation: `"bilinear"` or `"nearest"`.
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` or `"nearest"`.
        fill_value: value of `"constant"` fill.
        data_format: `"channels_last"` or `"channels_first"`.
        seed: optional integer seed.
    """

    def __init__(
        self,
        x_factor: Any = 0.0,
        y_factor: Any = 0.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = self._shear_range(x_factor, "x_factor")
        self.y_factor = self._shear_range(y_factor, "y_factor")
        self._set_warp_options(fill_mode, interpolation, fill_value)
        self.seed = seed
        self._random = SeededRandomness(seed)

    def _shear_range(self, factor: Any, argument: str) -> tuple[float, float]:
        """A number `f` in [0, 1] gives `(-f, f)`; a pair (e.g. a saved range) is kept, sorted."""

        def number(value: Any, low: float) -> bool:
            return isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= 1

        if isinstance(factor, (tuple, list)) and len(factor) == 2 and all(number(v, -1) for v in factor):
            lower, upper = sorted(factor)
            return lower, upper
        if number(factor, 0):
            return -abs(factor), abs(factor)
        expected = "must be a number in [0, 1] (or a pair of numbers in [-1, 1])"
        raise invalid(argument, expected, factor, self._owner)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"shear_factor": (batch, 2)}` (`[sx, sy]`, Keras's key), `None` when not training."""
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0] if images.ndim == 4 else 1
        generator = self._generator(images.device, seed)
        sign = torch.where(self._uniform((batch, 1), 0.0, 1.0, images, generator) > 0.5, -1.0, 1.0)
        shear_y = self._uniform((batch, 1), *self.y_factor, images, generator)
        shear_x = self._uniform((batch, 1), *self.x_factor, images, generator)
        return {
            "shear_factor": torch.cat([shear_x, shear_y], dim=1) * sign,
            "input_shape": tuple(images.shape),
        }

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        shear = torch.as_tensor(transformation["shear_factor"], device=images.device).to(images.dtype)
        return self._warp(images, shear_matrix(shear))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "x_factor": self.x_factor,
            "y_factor": self.y_factor,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }
