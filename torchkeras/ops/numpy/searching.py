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
from torchkeras.ops._symbolic import OutputSpec, dtype_of, shape_of, symbolic_op

__all__ = [
    "argmax",
    "argmin",
    "argpartition",
    "argsort",
    "count_nonzero",
    "isin",
    "nanargmax",
    "nanargmin",
    "nonzero",
    "searchsorted",
    "select",
    "sort",
    "unique",
    "where",
]


@symbolic_op
def sort(x: ArrayLike, axis: int | None = -1) -> torch.Tensor:
    """`x` sorted ascending along `axis` (the flattened `x` when None)."""
    x = tensor(x)
    if axis is None:
        x, axis = torch.ravel(x), 0
    return torch.sort(x, dim=axis).values


@symbolic_op
def argsort(x: ArrayLike, axis: int | None = -1) -> torch.Tensor:
    """Indices that sort `x` along `axis` (stable), as int32."""
    x = tensor(x)
    if axis is None:
        x, axis = torch.ravel(x), 0
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argsort(x, dim=axis, stable=True).to(INT32)


@symbolic_op
def argmax(x: ArrayLike, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    """Index of the maximum along `axis` (of the flattened `x` when None), as int32."""
    x = tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argmax(x, dim=axis, keepdim=keepdims).to(INT32)


@symbolic_op
def argmin(x: ArrayLike, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    """Index of the minimum along `axis` (of the flattened `x` when None), as int32."""
    x = tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argmin(x, dim=axis, keepdim=keepdims).to(INT32)


def _where_spec(condition: Any, x1: Any = None, x2: Any = None) -> OutputSpec | None:
    if x1 is None and x2 is None:  # the indices of the non-zero entries: their count is data
        return OutputSpec((len(shape_of(condition)), None), "int64")
    return None


@symbolic_op(output_spec=_where_spec)
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


@symbolic_op
def select(
    condlist: Sequence[ArrayLike], choicelist: Sequence[ArrayLike], default: ArrayLike = 0
) -> torch.Tensor:
    """For each position, the entry of the first `choicelist` item whose condition holds, else `default`."""
    out = tensor(default)
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        out = where(condition, choice, out)
    return out


@symbolic_op
def count_nonzero(x: ArrayLike, axis: Axis = None) -> torch.Tensor:
    """Number of non-zero entries along `axis`, as int32."""
    x = tensor(x)
    if axis == () or axis == []:
        return (x != 0).to(INT32)
    dim = axis if axis is None or isinstance(axis, int) else tuple(axis)
    return torch.count_nonzero(x, dim=dim).to(INT32)


@symbolic_op
def argpartition(x: ArrayLike, kth: int, axis: int | None = -1) -> torch.Tensor:
    """Indices that partition `x` along `axis` around its `kth` smallest element: that element at
    position `kth`, none larger before it, none smaller after (here a full stable sort), int32."""
    x = tensor(x)
    if axis is None:
        x, axis = torch.ravel(x), 0
    if not -x.shape[axis] <= kth < x.shape[axis]:
        raise ValueError(f"`kth` must index axis {axis} of size {x.shape[axis]}. Received: kth={kth}")
    return argsort(x, axis=axis)


def _nonzero_spec(x: Any) -> OutputSpec:
    return OutputSpec((len(shape_of(x)), None), "int32")


@symbolic_op(output_spec=_nonzero_spec)
def nonzero(x: ArrayLike) -> torch.Tensor:
    """The indices of the non-zero elements as an int32 `(x.ndim, count)` tensor: row `i` holds the
    positions along axis `i` (unpack it like NumPy's tuple). The count is read from the data."""
    return torch.nonzero(tensor(x)).T.to(INT32)


@symbolic_op
def searchsorted(sorted_sequence: ArrayLike, values: ArrayLike, side: str = "left") -> torch.Tensor:
    """Insertion points of `values` into the 1-D ascending `sorted_sequence` that keep it sorted.

    Args:
        side: `"left"` (before equal elements) or `"right"` (after them).
    """
    if side not in ("left", "right"):
        raise ValueError(f"`side` must be 'left' or 'right'. Received: side={side!r}")
    sorted_sequence, values = pair(sorted_sequence, values)
    if sorted_sequence.ndim != 1:
        raise ValueError(
            f"`sorted_sequence` must be 1-D. Received: sorted_sequence.shape={tuple(sorted_sequence.shape)}"
        )
    dtype = torch.promote_types(sorted_sequence.dtype, values.dtype)
    out = torch.searchsorted(sorted_sequence.to(dtype), values.to(dtype), side=side)
    return out.to(INT32) if sorted_sequence.shape[0] <= 2**31 - 1 else out


@symbolic_op
def isin(x1: ArrayLike, x2: ArrayLike, assume_unique: bool = False, invert: bool = False) -> torch.Tensor:
    """Element-wise: is each element of `x1` in `x2` (not in, with `invert`), as bool."""
    x1, x2 = pair(x1, x2)
    dtype = torch.promote_types(x1.dtype, x2.dtype)
    return torch.isin(x1.to(dtype), x2.to(dtype), assume_unique=assume_unique, invert=invert)


def _unique_spec(
    x: Any,
    sorted: bool = True,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
    size: int | None = None,
    fill_value: Any = None,
) -> Any:
    shape = shape_of(x)
    if axis is None:
        values = OutputSpec((size,), dtype_of(x))
        inverse = OutputSpec(shape, "int64")
    else:
        dim = axis % len(shape)
        values = OutputSpec((*shape[:dim], size, *shape[dim + 1 :]), dtype_of(x))
        inverse = OutputSpec((shape[dim],), "int64")
    extras = []
    if return_index:
        extras.append(OutputSpec((size,), "int64"))
    if return_inverse:
        extras.append(inverse)
    if return_counts:
        extras.append(OutputSpec((size,), "int64"))
    return (values, *extras) if extras else values


@symbolic_op(output_spec=_unique_spec)
def unique(
    x: ArrayLike,
    sorted: bool = True,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
    size: int | None = None,
    fill_value: Any = None,
) -> Any:
    """The unique elements of `x` (flattened, or unique slices along `axis`), ascending.

    Args:
        x: input tensor.
        sorted: accepted for Keras compatibility; the result is always sorted.
        return_index: also return the index of each value's first occurrence.
        return_inverse: also return, for each element, the index of its value in the result.
        return_counts: also return how often each value occurs.
        axis: find unique slices along this axis.
        size: pad (with `fill_value`, default 0) or truncate the result to this length, giving a
            fixed shape.
        fill_value: the padding value.

    Returns:
        The values, or a tuple `(values, [index], [inverse], [counts])` in that order.
    """
    x = tensor(x)
    dim = None if axis is None else axis % x.ndim
    values, inverse, counts = torch.unique(x, sorted=True, return_inverse=True, return_counts=True, dim=dim)
    along = 0 if dim is None else dim
    first = None
    if return_index:
        flat_inverse = inverse.reshape(-1)
        positions = torch.arange(flat_inverse.shape[0], device=x.device)
        first = torch.full(
            (values.shape[along],), flat_inverse.shape[0], dtype=positions.dtype, device=x.device
        )
        first = first.scatter_reduce(0, flat_inverse, positions, reduce="amin")
    if size is not None:
        count = values.shape[along]
        if count > size:
            values = torch.narrow(values, along, 0, size)
            counts, first = counts[:size], None if first is None else first[:size]
        elif count < size:
            pad = [0, 0] * (values.ndim - along - 1) + [0, size - count]
            values = torch.nn.functional.pad(values, pad, value=0 if fill_value is None else fill_value)
            counts = torch.nn.functional.pad(counts, (0, size - count))
            first = None if first is None else torch.nn.functional.pad(first, (0, size - count))
    extras = []
    if return_index:
        extras.append(first)
    if return_inverse:
        extras.append(inverse if dim is not None or x.ndim <= 1 else inverse.reshape(x.shape))
    if return_counts:
        extras.append(counts)
    return (values, *extras) if extras else values


def _nan_arg(x: ArrayLike, axis: int | None, keepdims: bool, largest: bool) -> torch.Tensor:
    x = tensor(x)
    if x.dtype.is_floating_point:
        x = torch.where(torch.isnan(x), float("-inf") if largest else float("inf"), x)
    return (argmax if largest else argmin)(x, axis=axis, keepdims=keepdims)


@symbolic_op
def nanargmax(x: ArrayLike, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    """Index of the maximum along `axis`, ignoring NaN (flattened `x` when None), int32."""
    return _nan_arg(x, axis, keepdims, largest=True)


@symbolic_op
def nanargmin(x: ArrayLike, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    """Index of the minimum along `axis`, ignoring NaN, int32."""
    return _nan_arg(x, axis, keepdims, largest=False)
