"""Core ops: conversion, casting, dtypes, shapes, scatter and slice updates.

Control flow (`cond`, `fori_loop`, `scan`, ...) lives in `ops.control_flow`; its Keras names are
re-exported here, as `keras.ops.core` has them.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.ops._convert import ArrayLike, convert, is_tensor_like, tensor, to_torch_dtype
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.ops.control_flow import (
    associative_scan,
    cond,
    custom_gradient,
    fori_loop,
    map,
    scan,
    stop_gradient,
    switch,
    vectorized_map,
    while_loop,
)

__all__ = [
    "associative_scan",
    "cast",
    "cond",
    "convert_to_numpy",
    "convert_to_tensor",
    "custom_gradient",
    "dtype",
    "fori_loop",
    "is_tensor",
    "map",
    "saturate_cast",
    "scan",
    "scatter",
    "scatter_update",
    "shape",
    "slice",
    "slice_update",
    "stop_gradient",
    "switch",
    "unstack",
    "vectorized_map",
    "while_loop",
]

_REDUCTIONS = {"max": "amax", "min": "amin", "mul": "prod"}


def convert_to_tensor(
    x: ArrayLike, dtype: Any = None, sparse: bool | None = None, ragged: bool | None = None
) -> torch.Tensor:
    """Converts `x` to a tensor.

    Tensors and tensor-likes (types defining `__torch_function__`) are returned unchanged, or cast
    when `dtype` is given. Python floats become floatx, ints int32, bools bool; lists follow the
    same rules; NumPy arrays keep their dtype.

    Args:
        x: a tensor, NumPy array, (nested) list or Python number.
        dtype: target dtype (`"float32"`, `torch.float32`, ...); `None` infers it.
        sparse, ragged: not supported on torch; must be falsy.
    """
    if sparse:
        raise ValueError("`sparse=True` is not supported by torchkeras. Received: sparse=True")
    if ragged:
        raise ValueError("`ragged=True` is not supported by torchkeras. Received: ragged=True")
    return convert(x, None if dtype is None else to_torch_dtype(dtype))


def convert_to_numpy(x: ArrayLike) -> np.ndarray:
    """Converts `x` (a tensor, or a list of tensors) to a NumPy array.

    bfloat16 tensors come back as float32 arrays (NumPy has no bfloat16).
    """
    if isinstance(x, (list, tuple)):
        return np.array([convert_to_numpy(item) for item in x])
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy()
    return np.asarray(x)


@symbolic_op
def cast(x: ArrayLike, dtype: Any):
    """Casts `x` to `dtype`; a no-op when it already has that dtype."""
    return convert(x, to_torch_dtype(dtype))


def is_tensor(x: Any) -> bool:
    """True if `x` is a torch tensor."""
    return isinstance(x, torch.Tensor)


def shape(x: ArrayLike) -> tuple:
    """The shape of `x` as a tuple of ints."""
    return tuple(tensor(x).shape)


@symbolic_op
def unstack(x: ArrayLike, num: int | None = None, axis: int = 0) -> tuple:
    """Splits `x` along `axis` into a tuple of tensors one rank lower."""
    x = tensor(x)
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"`num` must equal x.shape[{axis}]={x.shape[axis]}. Received: num={num}")
    return torch.unbind(x, axis)


@symbolic_op
def scatter(indices: ArrayLike, values: ArrayLike, shape: Sequence[int]):
    """Returns a zero tensor of `shape` with `values` added at `indices` (duplicates accumulate).

    Args:
        indices: int tensor of shape `(..., k)`, each row a position in the first `k` dims.
        values: tensor of shape `indices.shape[:-1] + shape[k:]`.
        shape: the output shape.
    """
    values = tensor(values)
    flat_shape, index = _flat_index(tensor(indices), tuple(shape))
    zeros = torch.zeros(flat_shape, dtype=values.dtype, device=values.device)
    out = zeros.index_add(0, index, values.reshape((-1, *flat_shape[1:])))
    return out.reshape(tuple(shape))


@symbolic_op
def scatter_update(inputs: ArrayLike, indices: ArrayLike, updates: ArrayLike, reduction: str | None = None):
    """Returns a copy of `inputs` with `updates` written at `indices`.

    Args:
        inputs: the tensor to update.
        indices: int tensor of shape `(n, k)`: `n` positions in the first `k` dims of `inputs`.
        updates: tensor of shape `(n,) + inputs.shape[k:]`.
        reduction: `None` (overwrite), `"add"`, `"max"`, `"min"` or `"mul"`.
    """
    inputs = tensor(inputs)
    updates = convert(updates, inputs.dtype)
    flat_shape, index = _flat_index(tensor(indices), tuple(inputs.shape))
    flat = inputs.reshape(flat_shape)
    updates = updates.reshape((-1, *flat_shape[1:]))
    if reduction is None:
        out = flat.index_copy(0, index, updates)
    elif reduction == "add":
        out = flat.index_add(0, index, updates)
    elif reduction in _REDUCTIONS:
        out = flat.index_reduce(0, index, updates, _REDUCTIONS[reduction])
    else:
        choices = (None, "add", "max", "min", "mul")
        raise ValueError(f"`reduction` must be one of {choices}. Received: reduction={reduction!r}")
    return out.reshape(inputs.shape)


def _flat_index(indices: torch.Tensor, shape: tuple[int, ...]) -> tuple[tuple[int, ...], torch.Tensor]:
    """Row positions in the first `k` dims -> positions in those dims flattened into one."""
    depth = indices.shape[-1]
    indices = indices.reshape(-1, depth).long()
    index = indices[:, 0]
    for axis in range(1, depth):
        index = index * shape[axis] + indices[:, axis]
    flat_size = 1
    for size in shape[:depth]:
        flat_size *= size
    return (flat_size, *shape[depth:]), index


@symbolic_op
def slice(inputs: ArrayLike, start_indices: Sequence[int] | ArrayLike, shape: Sequence[int]):
    """Returns the block of `inputs` starting at `start_indices` with size `shape`."""
    inputs = tensor(inputs)
    if is_tensor_like(start_indices):
        out = inputs
        for axis, length in enumerate(shape):
            out = torch.narrow(out, axis, start_indices[axis], length)
        return out
    return inputs[tuple(builtins.slice(start, start + length) for start, length in zip(start_indices, shape))]


@symbolic_op
def slice_update(inputs: ArrayLike, start_indices: Sequence[int] | ArrayLike, updates: ArrayLike):
    """Returns a copy of `inputs` with `updates` written as a block starting at `start_indices`.

    `start_indices` may be a tensor (e.g. a decoding step): no value is read back to the host.
    """
    inputs = tensor(inputs)
    updates = convert(updates, inputs.dtype)
    out = torch.clone(inputs)
    if is_tensor_like(start_indices):
        rank = len(updates.shape)
        index = []
        for axis, length in enumerate(updates.shape):
            positions = torch.arange(length, device=inputs.device) + start_indices[axis]
            index.append(positions.reshape((-1,) + (1,) * (rank - axis - 1)))
        out[tuple(index)] = updates
        return out
    block = zip(start_indices, updates.shape)
    out[tuple(builtins.slice(start, start + length) for start, length in block)] = updates
    return out


def dtype(x: ArrayLike) -> str:
    """The dtype of `x` as Keras names it (`"float32"`, `"int64"`, ...)."""
    if hasattr(x, "dtype") and not isinstance(x, np.ndarray) and isinstance(x.dtype, str):
        return x.dtype  # a KerasTensor
    return config.standardize_dtype(tensor(x).dtype)


@symbolic_op
def saturate_cast(x: ArrayLike, dtype: Any) -> torch.Tensor:
    """Casts `x` to `dtype`, first clipping it to the range `dtype` can hold (no wrap-around:
    300.0 to uint8 gives 255)."""
    x = tensor(x)
    target = to_torch_dtype(dtype)
    if target == torch.bool or target.is_complex or x.dtype == torch.bool:
        return x.to(target)
    info = torch.finfo(target) if target.is_floating_point else torch.iinfo(target)
    if x.dtype.is_floating_point:
        source = torch.finfo(x.dtype)
        low, high = max(float(info.min), float(source.min)), min(float(info.max), float(source.max))
        if not target.is_floating_point:  # the bounds as floats of x's dtype, inside the integer range
            low, high = _inside(info.min, x.dtype), _inside(info.max, x.dtype)
        return torch.clamp(x, low, high).to(target)
    source = torch.iinfo(x.dtype)
    low, high = max(int(info.min), source.min), min(int(info.max), source.max)
    return torch.clamp(x, low, high).to(target)


def _inside(bound: int, dtype: torch.dtype) -> float:
    """The float of `dtype` nearest `bound` without passing it (2**31 - 1 is not a float32)."""
    value = torch.tensor(bound, dtype=dtype)
    if abs(int(value.item())) > abs(bound):
        value = torch.nextafter(value, torch.zeros((), dtype=dtype))
    return float(value)
