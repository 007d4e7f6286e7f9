"""`keras.backend`: the backend's name, global settings, dtype rules and session helpers."""

from __future__ import annotations

import gc

import torch

from torchkeras.backend.dtypes import is_float_dtype, is_int_dtype, result_type, standardize_dtype
from torchkeras.config import (
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from torchkeras.layers.keras_tensor import is_keras_tensor
from torchkeras.utils import naming

__all__ = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "get_uid",
    "image_data_format",
    "is_float_dtype",
    "is_int_dtype",
    "is_keras_tensor",
    "result_type",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "standardize_dtype",
]


def get_uid(prefix: str = "") -> int:
    """Returns 1, 2, 3, ... on successive calls with the same `prefix` (reset by `clear_session`)."""
    return naming.get_uid(prefix)


def clear_session(free_memory: bool = True) -> None:
    """Resets the state Keras keeps between models: auto-name counters (so the next layer is
    `dense` again). With `free_memory`, also collects garbage and empties torch's CUDA cache."""
    naming.clear_session()
    if free_memory:
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
