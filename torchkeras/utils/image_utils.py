"""Image files and arrays: `load_img`, `img_to_array`, `array_to_img`, `save_img`, `smart_resize`.

Reading and writing files needs Pillow (`pip install -e .[image]`); it is imported when first
used, so the rest of torchkeras does not depend on it.
"""

from __future__ import annotations

import io
import pathlib
import warnings
from typing import Any

import numpy as np
import torch

from torchkeras import config

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil_image() -> Any:
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError(
            "Reading and writing images needs Pillow: `pip install pillow` (or the `image` extra)."
        ) from error
    return Image


def _data_format(data_format: str | None) -> str:
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "Argument `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


def array_to_img(x: Any, data_format: str | None = None, scale: bool = True, dtype: Any = None) -> Any:
    """Converts a rank-3 array (one image) to a PIL image.

    Args:
        x: the image, `(height, width, channels)` (or channels first); 1, 3 or 4 channels.
        data_format: `"channels_last"` or `"channels_first"`; the global setting by default.
        scale: whether to rescale the values to `[0, 255]` (min to 0, max to 255).
        dtype: the dtype used for the conversion; floatx by default.

    Returns:
        A `PIL.Image.Image` (mode `"L"`, `"I"`, `"RGB"` or `"RGBA"`).
    """
    image_module = _pil_image()
    data_format = _data_format(data_format)
    x = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError(
            f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image_module.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image_module.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
        return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img: Any, data_format: str | None = None, dtype: Any = None) -> np.ndarray:
    """Converts a PIL image to a rank-3 NumPy array (`(height, width, channels)` or channels first).

    Args:
        img: a PIL image (or anything `np.asarray` reads as one).
        data_format: `"channels_last"` or `"channels_first"`; the global setting by default.
        dtype: the array's dtype; floatx by default.
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x[None] if data_format == "channels_first" else x[:, :, None]
    raise ValueError(f"Unsupported image shape: {x.shape}")


def save_img(
    path: Any,
    x: Any,
    data_format: str | None = None,
    file_format: str | None = None,
    scale: bool = True,
    **kwargs: Any,
) -> None:
    """Saves an image array to a file (the format from the file's extension by default).

    Args:
        path: a path or a file object.
        x: the image array (see `array_to_img`).
        data_format: `"channels_last"` or `"channels_first"`.
        file_format: e.g. `"png"`, `"jpeg"`; needed for a file object.
        scale: whether to rescale the values to `[0, 255]`.
        **kwargs: passed to `PIL.Image.Image.save`.
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(
    path: Any,
    color_mode: str = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Any:
    """Loads an image file into a PIL image.

    Args:
        path: a path (str, bytes, `pathlib.Path`) or an `io.BytesIO`.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`.
        target_size: optional `(height, width)` to resize to.
        interpolation: `"nearest"`, `"bilinear"`, `"bicubic"`, `"hamming"`, `"box"` or `"lanczos"`.
        keep_aspect_ratio: crop the centre to the target's aspect ratio before resizing.

    Returns:
        A `PIL.Image.Image`.
    """
    image_module = _pil_image()
    if color_mode not in ("grayscale", "rgb", "rgba"):
        raise ValueError(f'`color_mode` must be "grayscale", "rgb", or "rgba". Received: {color_mode!r}')
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Invalid interpolation method {interpolation!r}. "
            f"Supported methods are {', '.join(_INTERPOLATIONS)}"
        )
    if isinstance(path, io.BytesIO):
        img = image_module.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        with open(path, "rb") as handle:
            img = image_module.open(io.BytesIO(handle.read()))
    else:
        raise TypeError(f"`path` must be path-like or io.BytesIO. Received: {type(path).__name__}")
    wanted = {"grayscale": ("L", "I;16", "I"), "rgba": ("RGBA",), "rgb": ("RGB",)}[color_mode]
    if img.mode not in wanted:
        img = img.convert(wanted[0])
    if target_size is None:
        return img
    size = (int(target_size[1]), int(target_size[0]))  # PIL speaks (width, height)
    if img.size == size:
        return img
    resample = getattr(image_module.Resampling, interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(size, resample)
    width, height = img.size
    crop_height = min(height, width * size[1] // size[0])
    crop_width = min(width, height * size[0] // size[1])
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return img.resize(size, resample, box=[left, top, left + crop_width, top + crop_height])


def smart_resize(
    x: Any,
    size: tuple[int, int],
    interpolation: str = "bilinear",
    data_format: str = "channels_last",
    backend_module: Any = None,
) -> torch.Tensor:
    """Resizes an image (or a batch) to `size` without distorting it: the largest centred crop
    with the target's aspect ratio is taken, then resized.

    Args:
        x: a rank-3 image or rank-4 batch (array or tensor).
        size: `(height, width)`.
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"` or `"area"`.
        data_format: `"channels_last"` or `"channels_first"`.
        backend_module: accepted for Keras compatibility; must be `None`.

    Returns:
        A float tensor of the resized image(s).
    """
    if backend_module is not None:
        raise ValueError("Argument `backend_module` is not supported; torchkeras computes in torch.")
    if len(size) != 2:
        raise ValueError(f"Argument `size` must be (height, width). Received: size={size}")
    modes = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic", "area": "area"}
    if interpolation not in modes:
        raise ValueError(
            f"Argument `interpolation` must be one of {sorted(modes)}. Received: {interpolation!r}"
        )
    data_format = _data_format(data_format)
    tensor = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if tensor.ndim not in (3, 4):
        raise ValueError(
            f"Expected an image array with shape (height, width, channels) or a batch. Got {x.shape}"
        )
    batch = tensor if tensor.ndim == 4 else tensor[None]
    if data_format == "channels_last":
        batch = batch.permute(0, 3, 1, 2)
    batch = batch.float() if not batch.is_floating_point() else batch
    height, width = batch.shape[-2:]
    target_height, target_width = size
    crop_height = min(height, int(float(width * target_height) / target_width))
    crop_width = min(width, int(float(height * target_width) / target_height))
    crop_height, crop_width = max(crop_height, 1), max(crop_width, 1)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    batch = batch[:, :, top : top + crop_height, left : left + crop_width]
    align = {} if modes[interpolation] in ("nearest", "area") else {"align_corners": False}
    batch = torch.nn.functional.interpolate(batch, size=tuple(size), mode=modes[interpolation], **align)
    if data_format == "channels_last":
        batch = batch.permute(0, 2, 3, 1)
    return batch if tensor.ndim == 4 else batch[0]
