"""Color kernels of the image layers: RGB <-> HSV, grayscale, value-range rescaling.

Numerics follow Keras's torch backend (`keras.ops.image.rgb_to_hsv`, `hsv_to_rgb`,
`rgb_to_grayscale`, after dm_pix / torchvision). Images are float, rank 3 or 4, with the channel
axis given by `data_format`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["channel_axis", "hsv_to_rgb", "rgb_to_grayscale", "rgb_to_hsv", "transform_value_range"]


def channel_axis(data_format: str) -> int:
    return -1 if data_format == "channels_last" else -3


def rgb_to_hsv(images: torch.Tensor, data_format: str) -> torch.Tensor:
    """RGB in [0, 1] -> HSV, each in [0, 1] (hue 0 for grays)."""
    axis = channel_axis(data_format)
    eps = torch.finfo(images.dtype).eps
    images = torch.where(images.abs() < eps, 0.0, images)
    red, green, blue = images.unbind(axis)
    value = torch.maximum(torch.maximum(red, green), blue)
    spread = value - torch.minimum(torch.minimum(red, green), blue)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * torch.where(spread > 0, spread, 1.0))
    hue = torch.where(value == green, norm * (blue - red) + 2.0 / 6.0, norm * (red - green) + 4.0 / 6.0)
    hue = torch.where(value == red, norm * (green - blue), hue)
    hue = torch.where(spread > 0, hue, 0.0) + (hue < 0.0).to(hue.dtype)
    return torch.stack([hue, saturation, value], dim=axis)


def hsv_to_rgb(images: torch.Tensor, data_format: str) -> torch.Tensor:
    """HSV in [0, 1] -> RGB in [0, 1]."""
    axis = channel_axis(data_format)
    hue, saturation, value = images.unbind(axis)
    sector = torch.remainder(hue, 1.0) * 6.0
    red = torch.clip((sector - 3.0).abs() - 1.0, 0.0, 1.0)
    green = torch.clip(2.0 - (sector - 2.0).abs(), 0.0, 1.0)
    blue = torch.clip(2.0 - (sector - 4.0).abs(), 0.0, 1.0)
    gray = 1.0 - saturation
    planes = [value * (gray + saturation * plane) for plane in (red, green, blue)]
    return torch.stack(planes, dim=axis)


def rgb_to_grayscale(images: torch.Tensor, data_format: str) -> torch.Tensor:
    """Luma `0.2989 R + 0.587 G + 0.114 B`, one channel kept (other channel counts: unchanged)."""
    axis = channel_axis(data_format)
    if images.shape[axis] != 3:
        return images.clone()
    red, green, blue = images.unbind(axis)
    return (0.2989 * red + 0.587 * green + 0.114 * blue).to(images.dtype).unsqueeze(axis)


def transform_value_range(
    images: torch.Tensor, original: Sequence[float], target: Sequence[float]
) -> torch.Tensor:
    """Rescales values linearly from `original` `(min, max)` to `target` (float32 at least)."""
    if original[0] == target[0] and original[1] == target[1]:
        return images
    if images.dtype not in (torch.float32, torch.float64):
        images = images.to(torch.float32)
    images = (images - original[0]) / (original[1] - original[0])
    return images * (target[1] - target[0]) + target[0]
