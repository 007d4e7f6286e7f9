"""Colour-space conversions (`keras.ops.image`): grayscale, RGB <-> HSV."""

from __future__ import annotations

import torch

from torchkeras.ops._convert import ArrayLike
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.ops.image._layout import ImageBatch

__all__ = ["hsv_to_rgb", "rgb_to_grayscale", "rgb_to_hsv"]


def _planes(images: ArrayLike, data_format: str | None, needs_float: bool) -> tuple[ImageBatch, torch.Tensor]:
    batch = ImageBatch(images, data_format)
    x = batch.channels_last()
    if x.shape[-1] != 3:
        raise ValueError(f"`images` must have 3 channels. Received: images.shape={tuple(batch.images.shape)}")
    if needs_float and not x.dtype.is_floating_point:
        raise ValueError(f"`images` must be a float tensor. Received: images.dtype={x.dtype}")
    return batch, x


@symbolic_op
def rgb_to_grayscale(images: ArrayLike, data_format: str | None = None) -> torch.Tensor:
    """Luma `0.2989 R + 0.587 G + 0.114 B`, one channel; a 1-channel input is returned as is.

    Args:
        images: `(H, W, 3)` or `(N, H, W, 3)` (channels_last), or channels-first.
        data_format: default `config.image_data_format()`.
    """
    batch = ImageBatch(images, data_format)
    x = batch.channels_last()
    if x.shape[-1] == 1:
        return batch.from_channels_last(x.clone())
    if x.shape[-1] != 3:
        raise ValueError(
            f"`images` must have 1 or 3 channels. Received: images.shape={tuple(batch.images.shape)}"
        )
    red, green, blue = x.unbind(-1)
    gray = (0.2989 * red + 0.587 * green + 0.114 * blue).to(x.dtype)
    return batch.from_channels_last(gray[..., None])


@symbolic_op
def rgb_to_hsv(images: ArrayLike, data_format: str | None = None) -> torch.Tensor:
    """RGB in [0, 1] to HSV (hue, saturation, value in [0, 1]); float images only.

    Args:
        images: one image or a batch, 3 channels.
        data_format: default `config.image_data_format()`.
    """
    batch, x = _planes(images, data_format, needs_float=True)
    x = torch.where(torch.abs(x) < torch.finfo(x.dtype).eps, 0.0, x)
    red, green, blue = x.unbind(-1)
    value = torch.maximum(torch.maximum(red, green), blue)
    spread = value - torch.minimum(torch.minimum(red, green), blue)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, 1.0), 0.0)
    scale = 1.0 / (6.0 * torch.where(spread > 0, spread, 1.0))
    hue = torch.where(value == green, scale * (blue - red) + 2.0 / 6.0, scale * (red - green) + 4.0 / 6.0)
    hue = torch.where(value == red, scale * (green - blue), hue)
    hue = torch.where(spread > 0, hue, 0.0)
    hue = hue + (hue < 0).to(hue.dtype)
    return batch.from_channels_last(torch.stack([hue, saturation, value], dim=-1))


@symbolic_op
def hsv_to_rgb(images: ArrayLike, data_format: str | None = None) -> torch.Tensor:
    """HSV (all in [0, 1]) back to RGB; float images only (arguments as for `rgb_to_hsv`)."""
    batch, x = _planes(images, data_format, needs_float=True)
    hue, saturation, value = x.unbind(-1)
    sector = torch.remainder(hue, 1.0) * 6.0
    red = torch.clamp(torch.abs(sector - 3.0) - 1.0, 0.0, 1.0)
    green = torch.clamp(2.0 - torch.abs(sector - 2.0), 0.0, 1.0)
    blue = torch.clamp(2.0 - torch.abs(sector - 4.0), 0.0, 1.0)
    grey = 1.0 - saturation
    planes = [value * (grey + saturation * channel) for channel in (red, green, blue)]
    return batch.from_channels_last(torch.stack(planes, dim=-1))
