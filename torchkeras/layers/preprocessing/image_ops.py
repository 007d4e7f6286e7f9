"""Image kernels of the preprocessing layers: resizing, aspect-ratio crop boxes, affine warps.

Numerics follow Keras's torch backend (`keras.ops.image.resize` / `affine_transform`): resizing
is `torch.nn.functional.interpolate` (half-pixel centers, "nearest" is `nearest-exact`), warps
sample `image[T(y, x)]` with per-pixel gathers and Keras's fill modes. Images are batched,
`(batch, height, width, channels)` or `(batch, channels, height, width)`; everything stays on
the device and no value is read back to the host.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "AFFINE_INTERPOLATIONS",
    "FILL_MODES",
    "RESIZE_INTERPOLATIONS",
    "affine_transform",
    "aspect_crop_box",
    "resize",
]

# Keras's interpolation names -> `F.interpolate` modes (lanczos is not available on torch).
RESIZE_INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
AFFINE_INTERPOLATIONS = ("nearest", "bilinear")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def aspect_crop_box(
    height: int, width: int, target_height: int, target_width: int
) -> tuple[int, int, int, int]:
    """`(top, left, crop_height, crop_width)` of the largest centered window of the target's
    aspect ratio inside a `height x width` image (Keras's `crop_to_aspect_ratio` arithmetic)."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int(float(height - crop_height) / 2), int(float(width - crop_width) / 2), crop_height, crop_width


def _pad_to_aspect(
    images: torch.Tensor, target_height: int, target_width: int, fill_value: float
) -> torch.Tensor:
    """Pads NCHW `images` evenly on the short side up to the target's aspect ratio."""
    height, width = images.shape[-2:]
    pad_height = max(height, int(float(width * target_height) / target_width))
    pad_width = max(width, int(float(height * target_width) / target_height))
    top = int(float(pad_height - height) / 2)
    left = int(float(pad_width - width) / 2)
    if top == 0 and left == 0:
        return images
    return F.pad(images, (left, left, top, top), value=float(fill_value))


def resize(
    images: torch.Tensor,
    height: int,
    width: int,
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_value: float = 0.0,
    data_format: str = "channels_last",
) -> torch.Tensor:
    """Resizes a batch of images to `(height, width)`, keeping the input dtype.

    Integer images are interpolated in float32 and rounded back. Channels-last inputs are
    handled through a permuted view (channels-last memory format), never copied to NCHW first.
    """
    dtype = images.dtype
    x = images.permute(0, 3, 1, 2) if data_format == "channels_last" else images
    if dtype not in (torch.float32, torch.float64):
        x = x.to(torch.float32)
    if crop_to_aspect_ratio:
        top, left, crop_height, crop_width = aspect_crop_box(x.shape[-2], x.shape[-1], height, width)
        x = x[:, :, top : top + crop_height, left : left + crop_width]
    elif pad_to_aspect_ratio:
        x = _pad_to_aspect(x, height, width, fill_value)
    mode = RESIZE_INTERPOLATIONS[interpolation]
    smooth = mode in ("bilinear", "bicubic")
    x = F.interpolate(
        x,
        size=(height, width),
        mode=mode,
        align_corners=False if smooth else None,
        antialias=bool(antialias) and smooth,
    )
    if interpolation == "bicubic" and dtype == torch.uint8:
        x = x.clamp(0, 255)
    if data_format == "channels_last":
        x = x.permute(0, 2, 3, 1)
    if x.dtype != dtype:
        x = (x if dtype.is_floating_point else torch.round(x)).to(dtype)
    return x


def _fix_index(position: torch.Tensor, size: int, fill_mode: str) -> torch.Tensor:
    """Maps integer-valued sample positions outside `[0, size)` back inside, per `fill_mode`.

    Computed in floating point (exact for integer values, and much faster than int64 `%`);
    the final clamp only guards against rounding far outside the image.
    """
    if fill_mode == "wrap":
        position = torch.remainder(position, size)
    elif fill_mode == "reflect":  # (d c b a | a b c d | d c b a): period 2 * size
        folded = torch.remainder(position, 2 * size)
        position = torch.where(folded < size, folded, 2 * size - 1 - folded)
    return position.clamp(0, size - 1).long()  # "constant" is masked by the caller


def _nodes(coordinate: torch.Tensor, size: int, interpolation: str, fill_mode: str) -> list[tuple]:
    """`(index inside the image, inside mask or None, weight or None)` of the 1 (nearest) or
    2 (bilinear) pixels sampled along one axis."""
    if interpolation == "nearest":
        nodes = [(torch.round(coordinate), None)]
    else:
        low = torch.floor(coordinate)
        high_weight = coordinate - low
        nodes = [(low, 1 - high_weight), (low + 1, high_weight)]
    fixed = []
    for position, weight in nodes:
        inside = (position >= 0) & (position < size) if fill_mode == "constant" else None
        fixed.append((_fix_index(position, size, fill_mode), inside, weight))
    return fixed


def _gather(flat: torch.Tensor, index: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """Pixels of `flat` ((B, HW, C) or (B, C, HW)) at flat positions `index` (B, HW)."""
    if channels_last:
        return torch.gather(flat, 1, index.unsqueeze(-1).expand(-1, -1, flat.shape[-1]))
    return torch.gather(flat, 2, index.unsqueeze(1).expand(-1, flat.shape[1], -1))


def affine_transform(
    images: torch.Tensor,
    transform: torch.Tensor,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: str = "channels_last",
) -> torch.Tensor:
    """Warps a batch of images: output pixel `(y, x)` samples the input at
    `(b0 x + b1 y + b2, a0 x + a1 y + a2)`, for each row `[a0, a1, a2, b0, b1, b2, c0, c1]` of
    `transform` (`(batch, 8)`; the projective `c0, c1` must be 0, as in Keras's torch backend).

    Args:
        images: batched images, floating point.
        transform: one row per image (or one row for all).
        interpolation: `"bilinear"` or `"nearest"` (round half to even).
        fill_mode: how samples outside the image are read: `"constant"` (`fill_value`),
            `"nearest"` (edge pixel), `"wrap"` (tiling), `"reflect"` (mirrored about the edge).
        fill_value: value of `"constant"` samples.
        data_format: `"channels_last"` or `"channels_first"`.
    """
    channels_last = data_format == "channels_last"
    if channels_last:
        batch, height, width, channels = images.shape
        flat = images.reshape(batch, height * width, channels)
    else:
        batch, channels, height, width = images.shape
        flat = images.reshape(batch, channels, height * width)
    transform = transform.to(device=images.device).reshape(-1, 8).expand(batch, 8)
    a0, a1, a2, b0, b1, b2 = (transform[:, i].reshape(batch, 1, 1) for i in range(6))
    rows = torch.arange(height, dtype=transform.dtype, device=images.device).reshape(1, height, 1)
    cols = torch.arange(width, dtype=transform.dtype, device=images.device).reshape(1, 1, width)
    source_y = (rows * b1 + cols * b0 + b2).reshape(batch, -1)
    source_x = (rows * a1 + cols * a0 + a2).reshape(batch, -1)

    channel_axis = -1 if channels_last else 1
    x_nodes = _nodes(source_x, width, interpolation, fill_mode)
    output = None
    # Corners are summed in Keras's order ((y0, x0), (y0, x1), (y1, x0), (y1, x1)).
    for y, y_inside, y_weight in _nodes(source_y, height, interpolation, fill_mode):
        row_start = y * width
        for x, x_inside, x_weight in x_nodes:
            pixels = _gather(flat, row_start + x, channels_last)
            if y_inside is not None:
                pixels = torch.where((y_inside & x_inside).unsqueeze(channel_axis), pixels, float(fill_value))
            if y_weight is not None:
                pixels = (y_weight * x_weight).unsqueeze(channel_axis).to(pixels.dtype) * pixels
            output = pixels if output is None else output + pixels
    if channels_last:
        return output.reshape(batch, height, width, channels)
    return output.reshape(batch, channels, height, width)
