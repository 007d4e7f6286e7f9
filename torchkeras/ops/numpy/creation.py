"""Array creation: zeros, ones, full, empty, ranges (linear, log, geometric), identity and
triangular matrices, coordinate grids, Vandermonde matrices."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import torch

from torchkeras.ops._convert import (
    INT32,
    NUMBERS,
    ArrayLike,
    convert,
    floatx_dtype,
    tensor,
    to_torch_dtype,
)
from torchkeras.ops._symbolic import symbolic_op

__all__ = [
    "arange",
    "array",
    "copy",
    "empty",
    "empty_like",
    "eye",
    "full",
    "full_like",
    "geomspace",
    "identity",
    "linspace",
    "logspace",
    "meshgrid",
    "ones",
    "ones_like",
    "tri",
    "vander",
    "zeros",
    "zeros_like",
]


def zeros(shape: int | Sequence[int], dtype: Any = None) -> torch.Tensor:
    """A tensor of `shape` filled with zeros (floatx unless `dtype` is given)."""
    return torch.zeros(shape, dtype=to_torch_dtype(dtype))


def ones(shape: int | Sequence[int], dtype: Any = None) -> torch.Tensor:
    """A tensor of `shape` filled with ones (floatx unless `dtype` is given)."""
    return torch.ones(shape, dtype=to_torch_dtype(dtype))


def full(shape: int | Sequence[int], fill_value: ArrayLike, dtype: Any = None) -> torch.Tensor:
    """A tensor of `shape` filled with `fill_value` (broadcast if it is an array); floatx by default."""
    dtype = to_torch_dtype(dtype)
    if type(fill_value) in NUMBERS:
        return torch.full(shape if not isinstance(shape, int) else (shape,), fill_value, dtype=dtype)
    fill_value = convert(fill_value, dtype)
    return torch.broadcast_to(fill_value, shape).clone()


@symbolic_op
def zeros_like(x: ArrayLike, dtype: Any = None) -> torch.Tensor:
    """Zeros with the shape of `x`, and its dtype unless `dtype` is given."""
    return torch.zeros_like(tensor(x), dtype=None if dtype is None else to_torch_dtype(dtype))


@symbolic_op
def ones_like(x: ArrayLike, dtype: Any = None) -> torch.Tensor:
    """Ones with the shape of `x`, and its dtype unless `dtype` is given."""
    return torch.ones_like(tensor(x), dtype=None if dtype is None else to_torch_dtype(dtype))


@symbolic_op
def full_like(x: ArrayLike, fill_value: ArrayLike, dtype: Any = None) -> torch.Tensor:
    """`fill_value` broadcast to the shape of `x`, in the dtype of `x` unless `dtype` is given."""
    x = tensor(x)
    dtype = x.dtype if dtype is None else to_torch_dtype(dtype)
    if type(fill_value) in NUMBERS:
        return torch.full_like(x, fill_value, dtype=dtype)
    return torch.broadcast_to(convert(fill_value, dtype), x.shape).clone()


def arange(
    start: float, stop: float | None = None, step: float | None = None, dtype: Any = None
) -> torch.Tensor:
    """Evenly spaced values in `[start, stop)`; int32 for integer arguments, else floatx."""
    if dtype is None:
        integral = builtins.all(isinstance(v, int) for v in (start, stop, step) if v is not None)
        dtype = INT32 if integral else floatx_dtype()
    else:
        dtype = to_torch_dtype(dtype)
    if stop is None:
        start, stop = 0, start
    return torch.arange(start, stop, 1 if step is None else step, dtype=dtype)


def linspace(
    start: ArrayLike,
    stop: ArrayLike,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
):
    """`num` evenly spaced samples from `start` to `stop` (included if `endpoint`).

    Array `start`/`stop` give one sequence per element, laid along `axis`. With `retstep=True`
    returns `(samples, step)`.
    """
    dtype = to_torch_dtype(dtype)
    divisions = num - 1 if endpoint else num
    if type(start) in NUMBERS and type(stop) in NUMBERS:
        step = (stop - start) / divisions if divisions > 0 else float("nan")
        last = stop if endpoint else stop - (stop - start) / num if num > 0 else stop
        samples = torch.linspace(start, last, num, dtype=dtype)
    else:
        start, stop = convert(start, torch.float64), convert(stop, torch.float64)
        step = (stop - start) / divisions if divisions > 0 else torch.full_like(start, float("nan"))
        fractions = torch.arange(num, dtype=torch.float64, device=start.device)
        fractions = fractions.reshape((num,) + (1,) * builtins.max(start.ndim, stop.ndim))
        samples = start + fractions * step
        if endpoint and num > 1:
            samples[-1] = stop
        samples = torch.moveaxis(samples, 0, axis).to(dtype)
        step = step.to(dtype)
    return (samples, step) if retstep else samples


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> torch.Tensor:
    """An `N x M` matrix with ones on the `k`-th diagonal (floatx by default)."""
    dtype = to_torch_dtype(dtype)
    M = N if M is None else M
    if not k:
        return torch.eye(N, M, dtype=dtype)
    return torch.ones(N, M, dtype=dtype).triu(k).tril(k)


def identity(n: int, dtype: Any = None) -> torch.Tensor:
    """The `n x n` identity matrix (floatx by default)."""
    return torch.eye(n, dtype=to_torch_dtype(dtype))


@symbolic_op
def array(x: ArrayLike, dtype: Any = None) -> torch.Tensor:
    """`x` as a tensor (as `convert_to_tensor`)."""
    return convert(x, None if dtype is None else to_torch_dtype(dtype))


@symbolic_op
def copy(x: ArrayLike) -> torch.Tensor:
    """A copy of `x` (new storage)."""
    return torch.clone(tensor(x))


def empty(shape: int | Sequence[int], dtype: Any = None) -> torch.Tensor:
    """An uninitialized tensor of `shape` (floatx by default); its values are unspecified."""
    return torch.empty(_shape(shape), dtype=to_torch_dtype(dtype))


@symbolic_op
def empty_like(x: ArrayLike, dtype: Any = None) -> torch.Tensor:
    """An uninitialized tensor with the shape of `x`, and its dtype unless `dtype` is given."""
    return torch.empty_like(tensor(x), dtype=None if dtype is None else to_torch_dtype(dtype))


def _shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else tuple(int(d) for d in shape)


def logspace(
    start: ArrayLike,
    stop: ArrayLike,
    num: int = 50,
    endpoint: bool = True,
    base: float = 10,
    dtype: Any = None,
    axis: int = 0,
) -> torch.Tensor:
    """`base ** linspace(start, stop, num)`: samples evenly spaced on a log scale."""
    exponents = linspace(start, stop, num, endpoint=endpoint, dtype="float64", axis=axis)
    return torch.pow(float(base), exponents).to(to_torch_dtype(dtype))


def geomspace(
    start: ArrayLike, stop: ArrayLike, num: int = 50, endpoint: bool = True, dtype: Any = None, axis: int = 0
) -> torch.Tensor:
    """`num` samples from `start` to `stop` in geometric progression (same-sign endpoints)."""
    start, stop = convert(start, torch.float64), convert(stop, torch.float64)
    sign = torch.sign(start)
    exponents = linspace(torch.log10(start * sign), torch.log10(stop * sign), num, endpoint=endpoint,
                         dtype="float64", axis=0)  # fmt: skip
    samples = sign * torch.pow(10.0, exponents)
    if num > 0:
        samples[0] = start
        if endpoint and num > 1:
            samples[-1] = stop
    return torch.moveaxis(samples, 0, axis).to(to_torch_dtype(dtype))


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> torch.Tensor:  # noqa: N803 (NumPy's names)
    """An `N x M` matrix with ones at and below the `k`-th diagonal (floatx by default)."""
    M = N if M is None else M
    return torch.ones(N, M, dtype=to_torch_dtype(dtype)).tril(k)


@symbolic_op
def meshgrid(*x: ArrayLike, indexing: str = "xy") -> list[torch.Tensor]:
    """Coordinate grids from 1-D coordinate vectors; `indexing` is `"xy"` (Cartesian) or `"ij"` (matrix)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"`indexing` must be 'xy' or 'ij'. Received: indexing={indexing!r}")
    return list(torch.meshgrid(*[tensor(v) for v in x], indexing=indexing))


@symbolic_op
def vander(x: ArrayLike, N: int | None = None, increasing: bool = False) -> torch.Tensor:  # noqa: N803
    """The Vandermonde matrix of the 1-D `x`: columns are powers of `x` (decreasing unless `increasing`)."""
    x = tensor(x)
    if x.ndim != 1:
        raise ValueError(f"`x` must be 1-D. Received: x.shape={tuple(x.shape)}")
    return torch.vander(x, N=N, increasing=increasing)
