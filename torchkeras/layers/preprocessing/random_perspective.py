"""`RandomPerspective`: moves each image's corners randomly and warps it to match, during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_supported,
)
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["RandomPerspective", "homography", "perspective_warp"]


def homography(start_points: torch.Tensor, end_points: torch.Tensor) -> torch.Tensor:
    """`(batch, 8)` coefficients `a` of the map from output `(x, y)` to input
    `((a0 x + a1 y + a2) / d, (a3 x + a4 y + a5) / d)`, `d = a6 x + a7 y + 1`, that sends each
    end point (output) to its start point (input); points are `(batch, 4, 2)` `(x, y)` corners."""
    dtype = torch.promote_types(start_points.dtype, torch.float32)
    start, end = start_points.to(dtype), end_points.to(dtype)
    rows = []
    for i in range(4):
        ex, ey = end[:, i, 0], end[:, i, 1]
        sx, sy = start[:, i, 0], start[:, i, 1]
        ones, zeros = torch.ones_like(ex), torch.zeros_like(ex)
        rows.append(torch.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], dim=-1))
        rows.append(torch.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], dim=-1))
    targets = start.reshape(-1, 8)  # (x1, y1, x2, y2, ...), the rows' order
    return torch.linalg.solve(torch.stack(rows, dim=1), targets.unsqueeze(-1)).squeeze(-1)


def perspective_warp(
    images: torch.Tensor, coefficients: torch.Tensor, interpolation: str, fill_value: float, data_format: str
) -> torch.Tensor:
    """Samples batched `images` at the homography's input positions; outside samples read
    `fill_value` (Keras's `ops.image.perspective_transform`, constant fill)."""
    x = images.movedim(1, -1) if data_format == "channels_first" else images  # (batch, h, w, c)
    batch, height, width, channels = x.shape
    a = coefficients.to(device=x.device, dtype=x.dtype).reshape(batch, 8, 1, 1).unbind(1)
    rows = torch.arange(height, dtype=x.dtype, device=x.device).reshape(1, height, 1)
    cols = torch.arange(width, dtype=x.dtype, device=x.device).reshape(1, 1, width)
    denominator = a[6] * cols + a[7] * rows + 1.0
    source_x = (a[0] * cols + a[1] * rows + a[2]) / denominator
    source_y = (a[3] * cols + a[4] * rows + a[5]) / denominator
    flat = x.reshape(batch, height * width, channels)
    output = torch.zeros_like(x)
    for y, y_weight in _nodes(source_y, interpolation):
        for x_pos, x_weight in _nodes(source_x, interpolation):
            inside = (y >= 0) & (y < height) & (x_pos >= 0) & (x_pos < width)
            index = (y.clamp(0, height - 1) * width + x_pos.clamp(0, width - 1)).long().reshape(batch, -1, 1)
            pixels = torch.gather(flat, 1, index.expand(-1, -1, channels)).reshape(x.shape)
            pixels = torch.where(inside.unsqueeze(-1), pixels, float(fill_value))
            output = output + (y_weight * x_weight).unsqueeze(-1) * pixels
    return output.movedim(-1, 1) if data_format == "channels_first" else output


def _nodes(position: torch.Tensor, interpolation: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    if interpolation == "nearest":
        return [(torch.round(position), torch.ones_like(position))]
    low = torch.floor(position)
    return [(low, 1 - (position - low)), (low + 1, position - low)]


@register_builtin
class RandomPerspective(BaseImagePreprocessingLayer):
    """Applies a random perspective warp to each image with probability `p` (drawn per image in
    `factor`), as Keras draws it: each corner moves by up to `scale / 2` of its own coordinates,
    and the image is resampled so the corners land there; outside pixels read `fill_value`. The
    identity at inference.

    Args:
        factor: a number `f` (the range `[0, f]`) or a pair, within [0, 1]: the probability.
        scale: in [0, 1], the size of the corner moves.
        interpolation: `"bilinear"` or `"nearest"`.
        fill_value: value of the pixels sampled outside the image.
        seed: optional integer seed.
        data_format: `"channels_last"` or `"channels_first"`.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        scale: float = 1.0,
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 <= scale <= 1:
            raise invalid("scale", "must be a number in [0, 1]", scale, self._owner)
        self.scale = scale
        self.interpolation = check_supported(
            interpolation, ("bilinear", "nearest"), "interpolation", self._owner
        )
        self.fill_value = fill_value
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"apply_perspective": (batch,), "start_points", "end_points": (batch, 4, 2)}`."""
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0] if images.ndim == 4 else 1
        height, width = self._height_width(images)
        generator = self._generator(images.device, seed)
        probability = self._uniform((batch,), *self.factor, images, generator)
        apply = self._uniform((batch,), 0.0, 1.0, images, generator) < probability
        moves = self._uniform((batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale, images, generator)
        corners = [[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]]
        start = torch.tensor(corners, dtype=moves.dtype, device=images.device).expand(batch, 4, 2)
        return {
            "apply_perspective": apply,
            "start_points": start,
            "end_points": start + start * moves,
            "input_shape": tuple(images.shape),
        }

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        start = torch.as_tensor(transformation["start_points"], device=images.device)
        end = torch.as_tensor(transformation["end_points"], device=images.device)
        apply = torch.as_tensor(transformation["apply_perspective"], device=images.device).reshape(
            -1, 1, 1, 1
        )
        warped = perspective_warp(
            images, homography(start, end), self.interpolation, self.fill_value, self.data_format
        )
        return torch.where(apply, warped, images)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
            "seed": self.seed,
        }
