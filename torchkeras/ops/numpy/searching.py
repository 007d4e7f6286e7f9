"""Sorting, searching and counting: sort, argsort, argmax/argmin, where, select, count_nonzero."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchkeras.ops._convert import (
    INT32,
    NUMBERS,
    ArrayLike,
    Axis,
    convert,
    is_tensor_like,
    pair,
    tensor,
)

__all__ = ["argmax", "argmin", "argsort", "count_nonzero", "select", "sort", "where"]


def sort(x: ArrayLike, axis: int | None = -1) -> torch.Tensor:
    """`x` sorted ascending along `axis` (the flattened `x` when None)."""
    x = tensor(x)
    if axis is None:
        x, axis = torch.ravel(x), 0
    return torch.sort(x, dim=axis).values


def argsort(x: ArrayLike, axis: int | None = -1) -> torch.Tensor:
    """Indices that sort `x` along `axis` (stable), as int32."""
    x = tensor(x)
    if axis is None:
        x, axis = torch.ravel(x), 0
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argsort(x, dim=axis, stable=True).to(INT32)


def argmax(x: ArrayLike, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    """Index of the maximum along `axis` (of the flattened `x` when None), as int32."""
    x = tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argmax(x, dim=axis, keepdim=keepdims).to(INT32)


def argmin(x: ArrayLike, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    """Index of the minimum along `axis` (of the flattened `x` when None), as int32."""
    x = tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argmin(x, dim=axis, keepdim=keepdims).to(INT32)


def where(condition: ArrayLike, x1: ArrayLike | None = None, x2: ArrayLike | None = None) -> torch.Tensor:
    """`x1` where `condition` holds, else `x2`; with only `condition`, the `(ndim, n)` indices of its
    non-zero entries."""
    condition = tensor(condition)
    if condition.dtype != torch.bool:
        condition = condition != 0
    if x1 is None and x2 is None:
        return torch.stack(torch.nonzero(condition, as_tuple=True))
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` must be given together. Received only one of them.")
    if type(x1) in NUMBERS and type(x2) in NUMBERS:
        x1, x2 = pair(x1, x2)  # Keras's dtypes (int32, floatx) rather than torch's (int64)
    else:
        x1 = _beside(x1, condition)
        x2 = _beside(x2, condition)
    return torch.where(condition, x1, x2)


def _beside(x: Any, condition: Any) -> Any:
    """Python numbers and tensors as they are; arrays and lists onto the device of `condition`."""
    if type(x) in NUMBERS or is_tensor_like(x):
        return x
    return convert(x, device=getattr(condition, "device", None))


def select(
    condlist: Sequence[ArrayLike], choicelist: Sequence[ArrayLike], default: ArrayLike = 0
) -> torch.Tensor:
    """For each position, the entry of the first `choicelist` item whose condition holds, else `default`."""
    out = tensor(default)
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        out = where(condition, choice, out)
    return out


def count_nonzero(x: ArrayLike, axis: Axis = None) -> torch.Tensor:
    """Number of non-zero entries along `axis`, as int32."""
    x = tensor(x)
    if axis == () or axis == []:
        return (x != 0).to(INT32)
    dim = axis if axis is None or isinstance(axis, int) else tuple(axis)
    return torch.count_nonzero(x, dim=dim).to(INT32)
