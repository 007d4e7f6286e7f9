"""Statistics (`keras.ops.numpy`): weighted averages, medians and quantiles (with NaN-ignoring
forms), correlation, histograms, bin counts and bin lookup."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchkeras.ops._convert import ArrayLike, Axis, axes_tuple, convert, floatx_dtype, is_float, pair, tensor
from torchkeras.ops._symbolic import OutputSpec, dtype_of, shape_of, symbolic_op
from torchkeras.utils.validation import check_choice

__all__ = [
    "average",
    "bincount",
    "corrcoef",
    "digitize",
    "histogram",
    "median",
    "nanmedian",
    "nanpercentile",
    "nanquantile",
    "percentile",
    "quantile",
]

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _float(x: ArrayLike) -> torch.Tensor:
    x = tensor(x)
    return x if is_float(x) else x.to(floatx_dtype())


@symbolic_op
def average(x: ArrayLike, axis: int | None = None, weights: ArrayLike | None = None) -> torch.Tensor:
    """Weighted mean over `axis` (all axes when None); `weights` shaped like `x`, or 1-D along `axis`."""
    x = _float(x)
    if weights is None:
        return torch.mean(x, dim=axis)
    x, weights = pair(x, weights)
    dtype = torch.promote_types(x.dtype, weights.dtype)
    x, weights = x.to(dtype), weights.to(dtype)
    if axis is not None and weights.ndim == 1 and x.ndim > 1:
        shape = [1] * x.ndim
        shape[axis] = -1
        weights = weights.reshape(shape)
    weights = torch.broadcast_to(weights, x.shape)
    return torch.sum(x * weights, dim=axis) / torch.sum(weights, dim=axis)


def _quantile(
    reduce: Any, x: ArrayLike, q: ArrayLike, axis: Axis, method: str, keepdims: bool
) -> torch.Tensor:
    method = check_choice(method, _METHODS, "method")
    x = _float(x)
    q = convert(q, x.dtype, x.device)
    axes = axes_tuple(axis, x.ndim)
    kept = [a for a in range(x.ndim) if a not in [b % x.ndim for b in axes]]
    flat = torch.permute(x, (*kept, *[a % x.ndim for a in axes])).reshape(*[x.shape[a] for a in kept], -1)
    out = reduce(flat, q, dim=-1, interpolation=method)
    if keepdims:
        shape = [1 if a in [b % x.ndim for b in axes] else x.shape[a] for a in range(x.ndim)]
        out = out.reshape(*q.shape, *shape)
    return out


@symbolic_op
def quantile(
    x: ArrayLike, q: ArrayLike, axis: Axis = None, method: str = "linear", keepdims: bool = False
) -> torch.Tensor:
    """The `q`-th quantiles (in [0, 1]) over `axis`; a 1-D `q` adds a leading axis.

    Args:
        x: input tensor; integers are computed in floatx.
        q: a number or 1-D tensor of probabilities.
        axis: an axis, a tuple of axes, or None (all).
        method: `"linear"`, `"lower"`, `"higher"`, `"midpoint"` or `"nearest"`.
        keepdims: keep the reduced axes with size 1.
    """
    return _quantile(torch.quantile, x, q, axis, method, keepdims)


@symbolic_op
def nanquantile(
    x: ArrayLike, q: ArrayLike, axis: Axis = None, method: str = "linear", keepdims: bool = False
) -> torch.Tensor:
    """`quantile` ignoring NaN values."""
    return _quantile(torch.nanquantile, x, q, axis, method, keepdims)


@symbolic_op
def percentile(
    x: ArrayLike, q: ArrayLike, axis: Axis = None, method: str = "linear", keepdims: bool = False
) -> torch.Tensor:
    """`quantile` with `q` in percent (0 to 100)."""
    return _quantile(torch.quantile, x, _percent(q), axis, method, keepdims)


@symbolic_op
def nanpercentile(
    x: ArrayLike, q: ArrayLike, axis: Axis = None, method: str = "linear", keepdims: bool = False
) -> torch.Tensor:
    """`percentile` ignoring NaN values."""
    return _quantile(torch.nanquantile, x, _percent(q), axis, method, keepdims)


def _percent(q: ArrayLike) -> Any:
    return q / 100.0 if isinstance(q, (int, float)) else convert(q, torch.float64) / 100.0


@symbolic_op
def median(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Median over `axis` (the mean of the two middle values for an even count)."""
    return _quantile(torch.quantile, x, 0.5, axis, "linear", keepdims)


@symbolic_op
def nanmedian(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """`median` ignoring NaN values."""
    return _quantile(torch.nanquantile, x, 0.5, axis, "linear", keepdims)


@symbolic_op
def corrcoef(x: ArrayLike) -> torch.Tensor:
    """Pearson correlation coefficients between the rows of `x` (variables in rows)."""
    x = _float(x)
    if x.ndim == 1:
        x = x[None]
    centred = x - torch.mean(x, dim=1, keepdim=True)
    covariance = centred @ centred.T.conj()
    scale = torch.sqrt(torch.diagonal(covariance).real)
    out = covariance / scale[:, None] / scale[None, :]
    return torch.clamp(out, -1, 1) if not out.dtype.is_complex else out


@symbolic_op
def histogram(
    x: ArrayLike, bins: int = 10, range: Sequence[float] | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Counts (in the float dtype of `x`) of the 1-D `x` in `bins` equal bins over `range`
    (default `(min, max)`), and the `bins + 1` edges. The last bin includes its right edge."""
    x = _float(x)
    if x.ndim != 1:
        raise ValueError(f"`x` must be 1-D. Received: x.shape={tuple(x.shape)}")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins <= 0:
        raise ValueError(f"`bins` must be a positive integer. Received: bins={bins!r}")
    low, high = (x.min(), x.max()) if range is None else (torch.as_tensor(v, dtype=x.dtype) for v in range)
    edges = torch.linspace(0, 1, bins + 1, dtype=x.dtype, device=x.device) * (high - low) + low
    inside = (x >= low) & (x <= high)
    index = torch.clamp(torch.floor((x - low) / (high - low) * bins), 0, bins - 1).to(torch.int64)
    counts = torch.zeros(bins, dtype=x.dtype, device=x.device).index_add(0, index, inside.to(x.dtype))
    return counts, edges


def _bincount_spec(x: Any, weights: Any = None, minlength: int = 0, sparse: bool = False) -> OutputSpec:
    shape, dtype = shape_of(x), dtype_of(x)
    if sparse:
        raise ValueError("`sparse=True` is not supported by torchkeras. Received: sparse=True")
    if dtype.startswith(("float", "bfloat")) or len(shape) not in (1, 2):
        raise ValueError(f"`x` must be 1-D or 2-D integers. Received: {dtype} of shape {shape}")
    if weights is not None:
        dtype = dtype_of(weights)
    elif dtype not in ("int32", "int64"):
        dtype = "int32"
    return OutputSpec((*shape[:-1], None), dtype)  # the length is `max(x) + 1`, read from the data


@symbolic_op(output_spec=_bincount_spec)
def bincount(
    x: ArrayLike, weights: ArrayLike | None = None, minlength: int = 0, sparse: bool = False
) -> torch.Tensor:
    """Counts of each non-negative integer in `x` (summed `weights` when given); a 2-D `x` counts
    each row. The length is `max(max(x) + 1, minlength)`, read from the data."""
    if sparse:
        raise ValueError("`sparse=True` is not supported by torchkeras. Received: sparse=True")
    x = tensor(x)
    if x.dtype.is_floating_point or x.ndim not in (1, 2):
        raise ValueError(f"`x` must be 1-D or 2-D integers. Received: {x.dtype} of shape {tuple(x.shape)}")
    length = int(torch.max(x)) + 1 if x.numel() else 0
    length = max(length, minlength)
    if weights is not None:
        weights = tensor(weights)
    if x.ndim == 1:
        counts = torch.bincount(x, weights, minlength=length)
    else:
        counts = torch.stack(
            [
                torch.bincount(row, None if weights is None else weights[i], minlength=length)
                for i, row in enumerate(x)
            ]
        )
    if weights is None:
        return counts.to(x.dtype if x.dtype in (torch.int32, torch.int64) else torch.int32)
    return counts.to(weights.dtype)


@symbolic_op
def digitize(x: ArrayLike, bins: ArrayLike) -> torch.Tensor:
    """For each value, the index of the bin it falls in: `i` with `bins[i - 1] <= x < bins[i]`
    (increasing `bins`), as int32."""
    x, bins = pair(x, bins)
    return torch.bucketize(x, bins.to(x.dtype), right=True).to(torch.int32)
