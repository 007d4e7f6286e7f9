"""Global settings: default float type, fuzz factor, image data format."""

from __future__ import annotations

import torch

__all__ = [
    "epsilon",
    "floatx",
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_random_seed",
    "standardize_dtype",
    "torch_dtype",
]

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
_DATA_FORMATS = ("channels_first", "channels_last")


def floatx() -> str:
    """Returns the default float type, as a string (e.g. `"float32"`)."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Sets the default float type (`"float16"`, `"bfloat16"`, `"float32"` or `"float64"`)."""
    global _FLOATX
    if value not in _FLOAT_TYPES:
        raise ValueError(f"`value` must be one of {_FLOAT_TYPES}. Received: value={value!r}")
    _FLOATX = value


def epsilon() -> float:
    """Returns the fuzz factor used in numeric expressions (default `1e-7`)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Sets the fuzz factor used in numeric expressions."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """Returns the default image data format, `"channels_last"` unless changed."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Sets the default image data format (`"channels_last"` or `"channels_first"`)."""
    global _IMAGE_DATA_FORMAT
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"`data_format` must be one of {_DATA_FORMATS}. Received: data_format={data_format!r}"
        )
    _IMAGE_DATA_FORMAT = data_format


def standardize_dtype(dtype: str | torch.dtype | None) -> str:
    """Returns the Keras name of `dtype` (`torch.float32` -> `"float32"`); `None` -> floatx."""
    if dtype is None:
        return _FLOATX
    if isinstance(dtype, torch.dtype):
        return str(dtype).removeprefix("torch.")
    name = getattr(dtype, "name", dtype)  # numpy dtypes and dtype policies
    if name == "string":
        return name  # text inputs: NumPy arrays of strings, no torch dtype (see `torch_dtype`)
    if not isinstance(name, str) or not isinstance(getattr(torch, name, None), torch.dtype):
        raise ValueError(f"`dtype` must name a torch dtype. Received: dtype={dtype!r}")
    return name


def torch_dtype(dtype: str | torch.dtype | None) -> torch.dtype:
    """Returns the `torch.dtype` for a Keras dtype name; `None` -> floatx."""
    name = standardize_dtype(dtype)
    if name == "string":
        raise ValueError("`dtype='string'` has no torch dtype: text flows as NumPy arrays of strings.")
    return getattr(torch, name)


def set_random_seed(seed: int) -> None:
    """Seeds Python's `random`, NumPy and torch (all devices), so runs are reproducible."""
    import random

    import numpy as np

    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"`seed` must be an integer. Received: seed={seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
