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
from torchkeras.ops._symbolic import symbolic_op

__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "cumprod",
    "cumsum",
    "diff",
    "max",
    "mean",
    "min",
    "nancumprod",
    "nancumsum",
    "nanmax",
    "nanmean",
    "nanmin",
    "nanprod",
    "nanstd",
    "nansum",
    "nanvar",
    "prod",
    "ptp",
    "std",
    "sum",
    "trapezoid",
    "var",
]


@symbolic_op
def sum(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Sum over `axis` (all axes when None); bools and small ints sum as int32."""
    x = tensor(x)
    if axis == () or axis == []:
        return x
    dtype = INT32 if x.dtype in SMALL_INTS or x.dtype == INT32 else None
    return torch.sum(x, dim=axis, keepdim=keepdims, dtype=dtype)


@symbolic_op
def mean(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Mean over `axis`; integers give float32, half floats are accumulated in float32."""
    x = tensor(x)
    if axis == () or axis == []:
        return x
    if x.dtype == torch.float32 or x.dtype == torch.float64:
        return torch.mean(x, dim=axis, keepdim=keepdims)
    result = torch.mean(x, dim=axis, keepdim=keepdims, dtype=torch.float32)
    return result.to(x.dtype) if x.dtype in HALF_FLOATS else result


@symbolic_op
def max(
    x: ArrayLike, axis: Axis = None, keepdims: bool = False, initial: float | None = None
) -> torch.Tensor:
    """Maximum over `axis`; `initial` is a lower bound (and the result for empty input)."""
    return _extreme(torch.amax, torch.clamp_min, "max", x, axis, keepdims, initial)


@symbolic_op
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


@symbolic_op
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


@symbolic_op
def std(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Population standard deviation (`ddof=0`) over `axis`; integers give float32."""
    x = tensor(x)
    if not is_float(x):
        x = x.to(torch.float32)
    return torch.std(x, dim=axis, correction=0, keepdim=keepdims)


@symbolic_op
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


@symbolic_op
def all(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Whether every entry along `axis` is non-zero, as bool."""
    return _logical_reduce(torch.all, x, axis, keepdims)


@symbolic_op
def any(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Whether some entry along `axis` is non-zero, as bool."""
    return _logical_reduce(torch.any, x, axis, keepdims)


def _logical_reduce(reduce: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    x = tensor(x)
    if axis == () or axis == []:
        return x if x.dtype == torch.bool else x != 0
    result = reduce(x, dim=axis if axis is None or isinstance(axis, int) else tuple(axis), keepdim=keepdims)
    return result if result.dtype == torch.bool else result.to(torch.bool)


@symbolic_op
def cumsum(x: ArrayLike, axis: int | None = None, dtype: Any = None) -> torch.Tensor:
    """Cumulative sum along `axis` (of the flattened `x` when None)."""
    return _cumulative(torch.cumsum, x, axis, dtype)


@symbolic_op
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


@symbolic_op
def amax(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Maximum over `axis` (as `max` without `initial`)."""
    return max(x, axis=axis, keepdims=keepdims)


@symbolic_op
def amin(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Minimum over `axis` (as `min` without `initial`)."""
    return min(x, axis=axis, keepdims=keepdims)


@symbolic_op
def ptp(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Range (`max - min`) over `axis`."""
    return max(x, axis=axis, keepdims=keepdims) - min(x, axis=axis, keepdims=keepdims)


def _dim(x: torch.Tensor, axis: Axis) -> Any:
    return None if axis is None else axis


def _nan_filled(x: ArrayLike, value: float) -> tuple[torch.Tensor, torch.Tensor | None]:
    x = tensor(x)
    if not is_float(x):
        return x, None
    missing = torch.isnan(x)
    return torch.where(missing, torch.as_tensor(value, dtype=x.dtype, device=x.device), x), missing


@symbolic_op
def nansum(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Sum over `axis`, NaN counted as zero."""
    return sum(_nan_filled(x, 0.0)[0], axis=axis, keepdims=keepdims)


@symbolic_op
def nanprod(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Product over `axis`, NaN counted as one."""
    return prod(_nan_filled(x, 1.0)[0], axis=axis, keepdims=keepdims)


@symbolic_op
def nanmean(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Mean over `axis` of the non-NaN values (NaN where all are NaN)."""
    x = tensor(x)
    if not is_float(x):
        return mean(x, axis=axis, keepdims=keepdims)
    return torch.nanmean(x, dim=_dim(x, axis), keepdim=keepdims)


@symbolic_op
def nanvar(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Variance over `axis` of the non-NaN values."""
    x = tensor(x)
    if not is_float(x):
        return var(x, axis=axis, keepdims=keepdims)
    centre = torch.nanmean(x, dim=_dim(x, axis), keepdim=True)
    return torch.nanmean(torch.square(x - centre), dim=_dim(x, axis), keepdim=keepdims)


@symbolic_op
def nanstd(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Standard deviation over `axis` of the non-NaN values."""
    return torch.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _nan_extreme(x: ArrayLike, axis: Axis, keepdims: bool, largest: bool) -> torch.Tensor:
    filled, missing = _nan_filled(x, float("-inf") if largest else float("inf"))
    out = (max if largest else min)(filled, axis=axis, keepdims=keepdims)
    if missing is None:
        return out
    all_missing = torch.all(missing, dim=axes_tuple(axis, filled.ndim), keepdim=keepdims)
    return torch.where(all_missing, torch.full_like(out, float("nan")), out)


@symbolic_op
def nanmax(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Maximum over `axis` ignoring NaN (NaN where all are NaN)."""
    return _nan_extreme(x, axis, keepdims, largest=True)


@symbolic_op
def nanmin(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Minimum over `axis` ignoring NaN (NaN where all are NaN)."""
    return _nan_extreme(x, axis, keepdims, largest=False)


@symbolic_op
def nancumsum(x: ArrayLike, axis: int | None = None, dtype: Any = None) -> torch.Tensor:
    """Cumulative sum along `axis` (flattened when None), NaN counted as zero."""
    return cumsum(_nan_filled(x, 0.0)[0], axis=axis, dtype=dtype)


@symbolic_op
def nancumprod(x: ArrayLike, axis: int | None = None, dtype: Any = None) -> torch.Tensor:
    """Cumulative product along `axis` (flattened when None), NaN counted as one."""
    return cumprod(_nan_filled(x, 1.0)[0], axis=axis, dtype=dtype)


@symbolic_op
def diff(a: ArrayLike, n: int = 1, axis: int = -1) -> torch.Tensor:
    """The `n`-th discrete difference along `axis`."""
    a = tensor(a)
    return torch.diff(a, n=n, dim=axis) if n else a


@symbolic_op
def trapezoid(y: ArrayLike, x: ArrayLike | None = None, dx: float = 1.0, axis: int = -1) -> torch.Tensor:
    """Integral of `y` along `axis` by the trapezoidal rule, at points `x` (or spacing `dx`)."""
    y = tensor(y)
    if not is_float(y):
        y = y.to(torch.float32)
    if x is None:
        return torch.trapezoid(y, dx=dx, dim=axis)
    return torch.trapezoid(y, tensor(x).to(y.dtype), dim=axis)
