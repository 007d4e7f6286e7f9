"""Nested structures (lists, tuples, dicts) of arrays and tensors: flatten, map, convert, move."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from torchkeras import config

__all__ = ["flatten", "map_structure", "pack_like", "to_device", "to_numpy", "to_tensor"]


def flatten(structure: Any) -> list[Any]:
    """Returns the leaves of a nested list/tuple/dict structure, dicts in insertion order."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def map_structure(fn: Callable[[Any], Any], structure: Any) -> Any:
    """Applies `fn` to every leaf, keeping the list/tuple/dict nesting."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, item) for key, item in structure.items()}
    return fn(structure)


def pack_like(structure: Any, leaves: list[Any]) -> Any:
    """Inverse of `flatten`: puts `leaves` back into the shape of `structure`."""
    iterator = iter(leaves)
    return map_structure(lambda _: next(iterator), structure)


def to_tensor(value: Any, dtype: torch.dtype | None = None, device: Any = None) -> torch.Tensor:
    """Converts an array-like to a tensor; NumPy float64 becomes floatx, as Keras does."""
    if isinstance(value, torch.Tensor):
        if (dtype is None or value.dtype == dtype) and (
            device is None or value.device == torch.device(device)
        ):
            return value  # the common case on every step: no call into torch
        return value.to(device=device, dtype=dtype)
    if hasattr(value, "to_numpy"):  # pandas objects, without importing pandas
        value = value.to_numpy()
    array = np.asarray(value)
    if array.dtype.kind in "OUSV":
        raise ValueError(
            f"Expected numeric data, got an array of dtype {array.dtype} (strings or objects). "
            "Encode it as numbers first."
        )
    if dtype is None and array.dtype == np.float64:
        dtype = config.torch_dtype(None)
    if any(stride < 0 for stride in array.strides):  # torch cannot view negative strides (x[::-1])
        array = array.copy()
    return torch.as_tensor(array, dtype=dtype, device=device)


def to_numpy(value: Any) -> Any:
    """Converts every tensor leaf of a structure to a NumPy array."""

    def convert(leaf: Any) -> Any:
        if isinstance(leaf, torch.Tensor):
            leaf = leaf.detach()
            if leaf.dtype == torch.bfloat16:
                leaf = leaf.float()
            return leaf.cpu().numpy()
        return leaf

    return map_structure(convert, value)


def to_device(structure: Any, device: torch.device, non_blocking: bool = False) -> Any:
    """Moves every tensor leaf of a structure to `device` (the one place data changes device)."""

    def move(leaf: Any) -> Any:
        if isinstance(leaf, torch.Tensor) and leaf.device != device:
            return leaf.to(device, non_blocking=non_blocking)
        return leaf

    return map_structure(move, structure)
