"""Resizing (`keras.ops.image`): `resize` and the general `scale_and_translate`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from torchkeras.ops._convert import ArrayLike, tensor
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.ops.image._layout import ImageBatch
from torchkeras.utils.validation import check_choice

__all__ = ["resize", "scale_and_translate"]

_TORCH_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic", "area": "area"}
_LANCZOS = {"lanczos3": "lanczos3", "lanczos5": "lanczos5"}


def _triangle(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(1 - torch.abs(x), min=0)


def _keys_cubic(x: torch.Tensor) -> torch.Tensor:
    x = torch.abs(x)
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return torch.where(x >= 2.0, 0.0, torch.where(x >= 1.0, far, near))


def _lanczos(radius: int) -> Callable[[torch.Tensor], torch.Tensor]:
    def kernel(x: torch.Tensor) -> torch.Tensor:
        x = torch.abs(x)
        safe = torch.where(x > 1e-3, x, 1.0)
        value = (
            radius * torch.sin(math.pi * safe) * torch.sin(math.pi * safe / radius) / (math.pi**2 * safe**2)
        )
        return torch.where(x > radius, 0.0, torch.where(x > 1e-3, value, 1.0))

    return kernel


_KERNELS = {
    "linear": _triangle,
    "cubic": _keys_cubic,
    "lanczos3": _lanczos(3),
    "lanczos5": _lanczos(5),
}
_METHODS = {
    "linear": "linear", "bilinear": "linear", "trilinear": "linear", "triangle": "linear",
    "cubic": "cubic", "bicubic": "cubic", "tricubic": "cubic", "lanczos3": "lanczos3", "lanczos5": "lanczos5",
}  # fmt: skip


def _weights(
    in_size: int,
    out_size: int,
    scale: torch.Tensor,
    translation: torch.Tensor,
    kernel: Callable,
    antialias: bool,
) -> torch.Tensor:
    """`(in_size, out_size)` weights: output cell `j` samples the input at `(j + 0.5 - t) / s - 0.5`."""
    inverse = 1.0 / scale
    stretch = torch.clamp(inverse, min=1.0) if antialias else torch.ones_like(inverse)
    sample = (
        torch.arange(out_size, dtype=scale.dtype, device=scale.device) + 0.5 - translation
    ) * inverse - 0.5
    distance = sample[None, :] - torch.arange(in_size, dtype=scale.dtype, device=scale.device)[:, None]
    weights = kernel(distance / stretch)
    total = torch.sum(weights, dim=0, keepdim=True)
    tiny = 1000.0 * torch.finfo(torch.float32).eps
    weights = torch.where(torch.abs(total) > tiny, weights / torch.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return torch.where(inside[None, :], weights, 0.0)


@symbolic_op
def scale_and_translate(
    images: ArrayLike,
    output_shape: Sequence[int],
    scale: ArrayLike,
    translation: ArrayLike,
    spatial_dims: Sequence[int],
    method: str,
    antialias: bool = True,
) -> torch.Tensor:
    """Resamples `images` along `spatial_dims` with a separable kernel, as `jax.image.scale_and_translate`.

    Output cell `j` of an axis reads the input around `(j + 0.5 - translation) / scale - 0.5`.

    Args:
        images: any tensor.
        output_shape: the full output shape (axes outside `spatial_dims` keep their size).
        scale, translation: one value per spatial axis.
        spatial_dims: the resampled axes.
        method: `"linear"`/`"bilinear"`/`"trilinear"`, `"cubic"`/`"bicubic"`/`"tricubic"` (Keys),
            `"lanczos3"` or `"lanczos5"`.
        antialias: widen the kernel when downsampling.
    """
    method = check_choice(method, tuple(_METHODS), "method")
    kernel = _KERNELS[_METHODS[method]]
    x = tensor(images)
    integer = not x.dtype.is_floating_point
    out = x.to(torch.float32) if integer else x
    dtype = out.dtype
    scale = tensor(scale).to(device=x.device, dtype=dtype).reshape(-1)
    translation = tensor(translation).to(device=x.device, dtype=dtype).reshape(-1)
    for i, axis in enumerate(spatial_dims):
        axis = axis % x.ndim
        weights = _weights(x.shape[axis], output_shape[axis], scale[i], translation[i], kernel, antialias)
        out = torch.movedim(torch.tensordot(out, weights.to(dtype), dims=([axis], [0])), -1, axis)
    if integer:
        out = torch.clamp(torch.round(out), x.min(), x.max()).to(x.dtype)
    return out


@symbolic_op
def resize(
    images: ArrayLike,
    size: Sequence[int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: str | None = None,
) -> torch.Tensor:
    """Resizes images to `size`.

    Args:
        images: one image or a batch.
        size: `(height, width)`.
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"`, `"area"`, `"lanczos3"` or `"lanczos5"`.
        antialias: filter when downsampling (bilinear, bicubic, Lanczos).
        crop_to_aspect_ratio: first crop the centre to the target aspect ratio.
        pad_to_aspect_ratio: first pad both sides with `fill_value` to the target aspect ratio.
        fill_mode: `"constant"` (the only mode).
        fill_value: the padding value.
        data_format: default `config.image_data_format()`.
    """
    interpolation = check_choice(interpolation, (*_TORCH_MODES, *_LANCZOS), "interpolation")
    check_choice(fill_mode, ("constant",), "fill_mode")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` may be True.")
    if len(size) != 2:
        raise ValueError(f"`size` must be (height, width). Received: size={size!r}")
    target_h, target_w = int(size[0]), int(size[1])
    batch = ImageBatch(images, data_format)
    x = batch.channels_first()
    original = x.dtype
    if not x.dtype.is_floating_point:
        x = x.to(torch.float32)
    height, width = x.shape[-2:]
    if crop_to_aspect_ratio:
        crop_h = max(min(height, int(width * target_h / target_w)), 1)
        crop_w = max(min(width, int(height * target_w / target_h)), 1)
        top, left = int((height - crop_h) / 2), int((width - crop_w) / 2)
        x = x[..., top : top + crop_h, left : left + crop_w]
    elif pad_to_aspect_ratio:
        pad_h = max(height, int(width * target_h / target_w))
        pad_w = max(width, int(height * target_w / target_h))
        top, left = int((pad_h - height) / 2), int((pad_w - width) / 2)
        x = F.pad(x, (left, left, top, top), value=fill_value)
    if interpolation in _LANCZOS:
        n, c, h, w = x.shape
        scales = torch.tensor([target_h / h, target_w / w], dtype=x.dtype)
        out = scale_and_translate(
            x, (n, c, target_h, target_w), scales, torch.zeros(2), (2, 3), interpolation, antialias
        )
    else:
        mode = _TORCH_MODES[interpolation]
        smooth = antialias and mode in ("bilinear", "bicubic")
        corners = False if mode in ("bilinear", "bicubic") else None
        out = F.interpolate(x, size=(target_h, target_w), mode=mode, align_corners=corners, antialias=smooth)
    if original != out.dtype:
        if original == torch.uint8:
            out = torch.clamp(out, 0, 255)
        out = torch.round(out).to(original)
    return batch.from_channels_first(out)
