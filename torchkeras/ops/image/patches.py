"""Cutting images into pieces (`keras.ops.image`): patches, padding and cropping."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from torchkeras.ops._convert import ArrayLike, tensor
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.ops.image._layout import ImageBatch
from torchkeras.ops.nn.convolution import conv, data_format_of
from torchkeras.utils.shapes import same_padding, standardize_tuple
from torchkeras.utils.validation import check_choice

__all__ = ["crop_images", "extract_patches", "extract_patches_3d", "pad_images"]

IntOrTuple = int | Sequence[int]


@symbolic_op
def extract_patches(
    images: ArrayLike,
    size: IntOrTuple,
    strides: IntOrTuple | None = None,
    dilation_rate: IntOrTuple = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> torch.Tensor:
    """Patches of `size` from each image, flattened into channels: `(N, H', W', ph * pw * C)` (channels
    last), each patch in (row, column, channel) order. A 3-element `size` extracts 3-D patches
    from volumes (`extract_patches_3d`).

    Args:
        images: one image or a batch.
        size: `(ph, pw)` (or an int).
        strides: step between patches; default `size`.
        dilation_rate: spacing of the pixels within a patch.
        padding: `"valid"` or `"same"`.
        data_format: default `config.image_data_format()`.
    """
    if not isinstance(size, int) and len(size) == 3:
        return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    size = standardize_tuple(size, 2, "size")
    strides = size if not strides else standardize_tuple(strides, 2, "strides")
    dilation = standardize_tuple(dilation_rate, 2, "dilation_rate")
    padding = check_choice(padding, ("valid", "same"), "padding")
    batch = ImageBatch(images, data_format)
    x = batch.channels_first()
    n, c, h, w = x.shape
    if padding == "same":
        pads = [same_padding(length, k, s, d) for length, k, s, d in zip((h, w), size, strides, dilation)]
        x = F.pad(x, (*pads[1], *pads[0]))
    out_h = (x.shape[2] - (size[0] - 1) * dilation[0] - 1) // strides[0] + 1
    out_w = (x.shape[3] - (size[1] - 1) * dilation[1] - 1) // strides[1] + 1
    columns = F.unfold(x, size, dilation=dilation, stride=strides)  # (N, C * ph * pw, L), channel-major
    patches = columns.reshape(n, c, size[0] * size[1], out_h, out_w).permute(0, 3, 4, 2, 1)
    return batch.from_channels_last(patches.reshape(n, out_h, out_w, -1))


@symbolic_op
def extract_patches_3d(
    volumes: ArrayLike,
    size: IntOrTuple,
    strides: IntOrTuple | None = None,
    dilation_rate: IntOrTuple = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> torch.Tensor:
    """3-D patches of `size` from volumes `(N, D, H, W, C)` (or one volume), flattened into
    channels in (depth, row, column, channel) order; arguments as for `extract_patches`."""
    volumes = tensor(volumes)
    if volumes.ndim not in (4, 5):
        raise ValueError(f"`volumes` must have rank 4 or 5. Received: volumes.shape={tuple(volumes.shape)}")
    size = standardize_tuple(size, 3, "size")
    strides = size if not strides else standardize_tuple(strides, 3, "strides")
    data_format = data_format_of(data_format)
    unbatched = volumes.ndim == 4
    x = volumes[None] if unbatched else volumes
    channels = x.shape[-1] if data_format == "channels_last" else x.shape[1]
    depth = size[0] * size[1] * size[2] * channels
    kernel = torch.eye(depth, dtype=x.dtype, device=x.device).reshape(*size, channels, depth)
    patches = conv(x, kernel, strides, padding, data_format, dilation_rate)
    return patches[0] if unbatched else patches


def _resolve(
    first: int | None, second: int | None, total: int | None, size: int, names: tuple
) -> tuple[int, int]:
    """Two of (before, after, target) given -> (before, after) for padding."""
    if [first, second, total].count(None) != 1:
        raise ValueError(
            f"Give exactly two of `{names[0]}`, `{names[1]}`, `{names[2]}`. "
            f"Received: {names[0]}={first}, {names[1]}={second}, {names[2]}={total}"
        )
    if first is None:
        first = total - second - size
    if second is None:
        second = total - first - size
    for name, value in zip(names, (first, second)):
        if value < 0:
            raise ValueError(f"`{name}` must be >= 0. Received: {name}={value}")
    return first, second


@symbolic_op
def pad_images(
    images: ArrayLike,
    top_padding: int | None = None,
    left_padding: int | None = None,
    bottom_padding: int | None = None,
    right_padding: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> torch.Tensor:
    """Pads images with zeros. Give two of (top, bottom, target height) and two of (left, right,
    target width).

    Args:
        images: one image or a batch.
        top_padding, bottom_padding, left_padding, right_padding: zero rows/columns to add.
        target_height, target_width: the padded size.
        data_format: default `config.image_data_format()`.
    """
    batch = ImageBatch(images, data_format)
    x = batch.channels_first()
    h, w = x.shape[-2:]
    top, bottom = _resolve(
        top_padding, bottom_padding, target_height, h, ("top_padding", "bottom_padding", "target_height")
    )
    left, right = _resolve(
        left_padding, right_padding, target_width, w, ("left_padding", "right_padding", "target_width")
    )
    return batch.from_channels_first(F.pad(x, (left, right, top, bottom)))


@symbolic_op
def crop_images(
    images: ArrayLike,
    top_cropping: int | None = None,
    left_cropping: int | None = None,
    bottom_cropping: int | None = None,
    right_cropping: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> torch.Tensor:
    """Crops images. Give two of (top, bottom, target height) and two of (left, right, target width).

    Args:
        images: one image or a batch.
        top_cropping, bottom_cropping, left_cropping, right_cropping: rows/columns to remove.
        target_height, target_width: the cropped size.
        data_format: default `config.image_data_format()`.
    """
    batch = ImageBatch(images, data_format)
    x = batch.channels_first()
    h, w = x.shape[-2:]
    top, bottom = _crops(top_cropping, bottom_cropping, target_height, h, ("top_cropping", "bottom_cropping"))
    left, right = _crops(left_cropping, right_cropping, target_width, w, ("left_cropping", "right_cropping"))
    return batch.from_channels_first(x[..., top : h - bottom, left : w - right])


def _crops(
    first: int | None, second: int | None, target: int | None, size: int, names: tuple
) -> tuple[int, int]:
    target_name = "target_height" if names[0].startswith("top") else "target_width"
    if [first, second, target].count(None) != 1:
        raise ValueError(
            f"Give exactly two of `{names[0]}`, `{names[1]}`, `{target_name}`. "
            f"Received: {names[0]}={first}, {names[1]}={second}, {target_name}={target}"
        )
    if first is None:
        first = size - target - second
    if second is None:
        second = size - target - first
    for name, value in ((names[0], first), (names[1], second), (target_name, size - first - second)):
        if value < 0:
            raise ValueError(f"`{name}` must be >= 0 and fit the image. Received: {name}={value}")
    return first, second
