"""Reductions over `axis` (with `keepdims`) and cumulative sums and products."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.ops._convert import (
    HALF_FLOATS,
    INT32,
    SMALL_INTS,
    ArrayLike,
    Axis,
    axes_tuple,
    canonical_axis,
    is_float,
    tensor,
    to_torch_dtype,
)

__all__ = ["all", "any", "cumprod", "cumsum", "max", "mean", "min", "prod", "std", "sum", "var"]


def sum(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Sum over `axis` (all axes when None); bools and small ints sum as int32."""
    x = tensor(x)
    if axis == () or axis == []:
        return x
    dtype = INT32 if x.dtype in SMALL_INTS or x.dtype == INT32 else None
    return torch.sum(x, dim=axis, keepdim=keepdims, dtype=dtype)


def mean(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Mean over `axis`; integers give float32, half floats are accumulated in float32."""
    x = tensor(x)
    if axis == () or axis == []:
        return x
    if x.dtype == torch.float32 or x.dtype == torch.float64:
        return torch.mean(x, dim=axis, keepdim=keepdims)
    result = torch.mean(x, dim=axis, keepdim=keepdims, dtype=torch.float32)
    return result.to(x.dtype) if x.dtype in HALF_FLOATS else result


def max(
    x: ArrayLike, axis: Axis = None, keepdims: bool = False, initial: float | None = None
) -> torch.Tensor:
    """Maximum over `axis`; `initial` is a lower bound (and the result for empty input)."""
    return _extreme(torch.amax, torch.clamp_min, "max", x, axis, keepdims, initial)


def min(
    x: ArrayLike, axis: Axis = None, keepdims: bool = False, initial: float | None = None
) -> torch.Tensor:
    """Minimum over `axis`; `initial` is an upper bound (and the result for empty input)."""
    return _extreme(torch.amin, torch.clamp_max, "min", x, axis, keepdims, initial)


def _extreme(reduce: Any, bound: Any, name: str, x: Any, axis: Any, keepdims: bool, initial: Any) -> Any:
    x = tensor(x)
    if 0 in x.shape:
        if initial is None:
            raise ValueError(f"Cannot compute the {name} of an empty tensor without `initial`.")
        return torch.full((1,) * x.ndim if keepdims else (), initial, dtype=x.dtype)
    result = reduce(x, dim=() if axis is None else axis, keepdim=keepdims)
    return result if initial is None else bound(result, initial)


def prod(x: ArrayLike, axis: Axis = None, keepdims: bool = False, dtype: Any = None) -> torch.Tensor:
    """Product over `axis`; bools and small ints multiply as int32."""
    x = tensor(x)
    if dtype is not None:
        dtype = to_torch_dtype(dtype)
    elif x.dtype in SMALL_INTS or x.dtype == INT32:
        dtype = INT32
    if axis is None:
        result = torch.prod(x, dtype=dtype)
        return torch.reshape(result, (1,) * x.ndim) if keepdims else result
    for a in sorted((canonical_axis(a, x.ndim) for a in axes_tuple(axis, x.ndim)), reverse=True):
        x = torch.prod(x, dim=a, keepdim=keepdims, dtype=dtype)
    return x


def std(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Population standard deviation (`ddof=0`) over `axis`; integers give float32."""
    x = tensor(x)
    if not is_float(x):
        x = x.to(torch.float32)
    return torch.std(x, dim=axis, correction=0, keepdim=keepdims)


def var(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Population variance (`ddof=0`) over `axis`; integers give float32, half floats are computed
    in float32."""
    x = tensor(x)
    if axis == () or axis == []:
        return torch.zeros_like(x, dtype=x.dtype if is_float(x) else torch.float32)
    if x.dtype == torch.float32 or x.dtype == torch.float64:
        return torch.var(x, dim=axis, correction=0, keepdim=keepdims)
    result = torch.var(x.to(torch.float32), dim=axis, correction=0, keepdim=keepdims)
    return result.to(x.dtype) if x.dtype in HALF_FLOATS else result


def all(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Whether every entry along `axis` is non-zero, as bool."""
    return _logical_reduce(torch.all, x, axis, keepdims)


def any(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Whether some entry along `axis` is non-zero, as bool."""
    return _logical_reduce(torch.any, x, axis, keepdims)


def _logical_reduce(reduce: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    x = tensor(x)
    if axis == () or axis == []:
        return x if x.dtype == torch.bool else x != 0
    result = reduce(x, dim=axis if axis is None or isinstance(axis, int) else tuple(axis), keepdim=keepdims)
    return result if result.dtype == torch.bool else result.to(torch.bool)


def cumsum(x: ArrayLike, axis: int | None = None, dtype: Any = None) -> torch.Tensor:
    """Cumulative sum along `axis` (of the flattened `x` when None)."""
    return _cumulative(torch.cumsum, x, axis, dtype)


def cumprod(x: ArrayLike, axis: int | None = None, dtype: Any = None) -> torch.Tensor:
    """Cumulative product along `axis` (of the flattened `x` when None)."""
    return _cumulative(torch.cumprod, x, axis, dtype)


def _cumulative(accumulate: Any, x: Any, axis: Any, dtype: Any) -> Any:
    x = tensor(x)
    if axis is None:
        x, axis = torch.ravel(x), 0
    if dtype is not None:
        dtype = to_torch_dtype(dtype)
    elif x.dtype == torch.bool:
        dtype = INT32
    elif not is_float(x):
        dtype = x.dtype  # torch would widen to int64
    return accumulate(x, dim=axis, dtype=dtype)
