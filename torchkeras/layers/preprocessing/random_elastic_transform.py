"""`RandomElasticTransform`: displaces pixels along a smooth random field during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_supported,
    check_value_range,
)
from torchkeras.layers.preprocessing.random_gaussian_blur import gaussian_blur
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomElasticTransform", "sample_at"]

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _fix(position: torch.Tensor, size: int, fill_mode: str) -> torch.Tensor:
    """Integer-valued positions mapped inside `[0, size)` per `fill_mode` (Keras's index fixers)."""
    if fill_mode == "wrap":
        position = torch.remainder(position, size)
    elif fill_mode == "reflect":  # (d c b a | a b c d | d c b a)
        folded = torch.remainder(position, 2 * size)
        position = torch.where(folded < size, folded, 2 * size - 1 - folded)
    elif fill_mode == "mirror" and size > 1:  # (d c b | a b c d | c b a)
        period = 2 * (size - 1)
        folded = torch.remainder(position, period)
        position = torch.where(folded < size, folded, period - folded)
    return position.clamp(0, size - 1).long()


def sample_at(
    images: torch.Tensor,
    source_y: torch.Tensor,
    source_x: torch.Tensor,
    interpolation: str,
    fill_mode: str,
    fill_value: float,
) -> torch.Tensor:
    """Channels-last `images` `(batch, h, w, c)` read at per-pixel positions `(batch, h, w)`."""
    batch, height, width, channels = images.shape
    flat = images.reshape(batch, height * width, channels)

    def nodes(position: torch.Tensor, size: int) -> list[tuple]:
        if interpolation == "nearest":
            points = [(torch.round(position), torch.ones_like(position))]
        else:
            low = torch.floor(position)
            points = [(low, 1 - (position - low)), (low + 1, position - low)]
        return [(_fix(p, size, fill_mode), (p >= 0) & (p < size), w) for p, w in points]

    output = torch.zeros_like(images)
    for y, y_inside, y_weight in nodes(source_y, height):
        for x, x_inside, x_weight in nodes(source_x, width):
            index = (y * width + x).reshape(batch, -1, 1).expand(-1, -1, channels)
            pixels = torch.gather(flat, 1, index).reshape(images.shape)
            if fill_mode == "constant":
                pixels = torch.where((y_inside & x_inside).unsqueeze(-1), pixels, float(fill_value))
            output = output + (y_weight * x_weight).unsqueeze(-1) * pixels
    return output


@register_builtin
class RandomElasticTransform(BaseImagePreprocessingLayer):
    """Elastic deformation during training, with Keras's parameters: with probability `p` (drawn
    per image in `factor`) each pixel is read from `(y + alpha * dy, x + alpha * dx)`, where `dx`,
    `dy` are Gaussian noise times `sigma`, blurred by a Gaussian of `sigma` (window
    `int(6 sigma) | 1`); `alpha = 0.1 d max(h, w)`, `sigma = 0.05 d min(h, w)`, `d` drawn per batch
    in `scale`. The result is clipped to `value_range`. The identity at inference.

    The noise fields are part of the drawn transformation (from the layer's seeded generator), so
    `transform_images` is deterministic given a draw (Keras 3.15 draws them inside the transform
    from torch's global generator).

    Args:
        factor: a number `f` (the range `[0, f]`) or a pair, within [0, 1]: the probability.
        scale: a number or a pair within [0, 1]: the distortion strength `d`.
        interpolation: `"bilinear"` or `"nearest"`.
        fill_mode: `"reflect"`, `"mirror"`, `"wrap"`, `"nearest"` or `"constant"`.
        fill_value: value of `"constant"` fill.
        value_range: `(min, max)` of the pixel values.
        seed: optional integer seed.
        data_format: `"channels_last"` or `"channels_first"`.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        scale: Any = 1.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        factor_range = self.factor
        self._set_factor(scale)
        self.scale, self.factor = self.factor, factor_range
        self.interpolation = check_supported(
            interpolation, ("nearest", "bilinear"), "interpolation", self._owner
        )
        self.fill_mode = check_supported(fill_mode, FILL_MODES, "fill_mode", self._owner)
        self.fill_value = fill_value
        check_value_range(value_range, self._owner)
        self.value_range = value_range
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_elastic_transform_params(self, height: int, width: int, factor: float) -> tuple[float, float]:
        """`(alpha, sigma)` for an image of `height x width` and distortion `factor`."""
        return max(height, width) * 0.1 * factor, min(height, width) * 0.05 * factor

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"apply_transform": (batch,), "distortion_factor": (), "noise": (2, batch, h, w)}`."""
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0] if images.ndim == 4 else 1
        height, width = self._height_width(images)
        generator = self._generator(images.device, seed)
        probability = self._uniform((batch,), *self.factor, images, generator)
        apply = self._uniform((batch,), 0.0, 1.0, images, generator) < probability
        distortion = self._uniform((), *self.scale, images, generator, dtype=self.compute_dtype)
        noise = torch.randn((2, batch, height, width), generator=generator, device=images.device)
        return {"apply_transform": apply, "distortion_factor": distortion, "noise": noise}

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        x = images.movedim(1, -1) if self.data_format == "channels_first" else images
        batch, height, width, _ = x.shape
        distortion = float(transformation["distortion_factor"])
        alpha, sigma = self.get_elastic_transform_params(height, width, distortion)
        noise = torch.as_tensor(transformation["noise"], device=x.device).to(x.dtype) * sigma
        size = int(6 * sigma) | 1
        spread = torch.tensor([sigma, sigma])
        dx, dy = (gaussian_blur(n.unsqueeze(-1), size, spread, "channels_last")[..., 0] for n in noise)
        rows = torch.arange(height, dtype=x.dtype, device=x.device).reshape(1, height, 1)
        cols = torch.arange(width, dtype=x.dtype, device=x.device).reshape(1, 1, width)
        warped = sample_at(
            x, rows + alpha * dy, cols + alpha * dx, self.interpolation, self.fill_mode, self.fill_value
        )
        apply = torch.as_tensor(transformation["apply_transform"], device=x.device).reshape(-1, 1, 1, 1)
        low, high = sorted(self.value_range)
        out = torch.where(apply, warped, x).clip(low, high)
        return out.movedim(-1, 1) if self.data_format == "channels_first" else out

    def compute_output_spec(self, inputs: Any, **kwargs: Any) -> KerasTensor:
        """The input's shape in the compute dtype, without a dry run (the window size is read
        from the drawn strength)."""
        return KerasTensor(tuple(inputs.shape), dtype=self.compute_dtype)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
            "seed": self.seed,
        }
