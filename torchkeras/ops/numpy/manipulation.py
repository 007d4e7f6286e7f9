"""Array manipulation: reshaping, joining, splitting, repeating, padding, gathering."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from torchkeras.ops._convert import (
    ArrayLike,
    Axis,
    axes_tuple,
    canonical_axis,
    convert,
    pair,
    tensor,
    to_torch_dtype,
)
from torchkeras.ops._symbolic import symbolic_op

__all__ = [
    "append",
    "array_split",
    "broadcast_to",
    "concatenate",
    "dsplit",
    "dstack",
    "expand_dims",
    "flip",
    "fliplr",
    "flipud",
    "get_item",
    "hsplit",
    "hstack",
    "moveaxis",
    "ndim",
    "pad",
    "ravel",
    "repeat",
    "reshape",
    "roll",
    "rot90",
    "size",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "take",
    "take_along_axis",
    "tile",
    "transpose",
    "unravel_index",
    "view",
    "vsplit",
    "vstack",
]

# NumPy mode -> torch mode ("symmetric" is built by hand).
_PAD_MODES = {"constant": "constant", "edge": "replicate", "reflect": "reflect", "symmetric": None}


def reshape(x: ArrayLike, newshape: int | Sequence[int]) -> torch.Tensor:
    """`x` with shape `newshape` (one entry may be -1)."""
    return torch.reshape(tensor(x), (newshape,) if isinstance(newshape, int) else tuple(newshape))


def transpose(x: ArrayLike, axes: Sequence[int] | None = None) -> torch.Tensor:
    """Permutes the axes of `x` to `axes`; reverses them when `axes` is None."""
    x = tensor(x)
    return torch.permute(x, tuple(range(x.ndim - 1, -1, -1)) if axes is None else tuple(axes))


def expand_dims(x: ArrayLike, axis: int | Sequence[int]) -> torch.Tensor:
    """Inserts size-1 axes at `axis` (positions in the output)."""
    x = tensor(x)
    if isinstance(axis, int):
        return torch.unsqueeze(x, axis)
    out_ndim = x.ndim + len(axis)
    for position in sorted(canonical_axis(a, out_ndim) for a in axis):
        x = torch.unsqueeze(x, position)
    return x


def squeeze(x: ArrayLike, axis: Axis = None) -> torch.Tensor:
    """Removes size-1 axes: all of them, or those in `axis`."""
    x = tensor(x)
    if axis is None:
        return torch.squeeze(x)
    return torch.squeeze(x, axis if isinstance(axis, int) else tuple(axis))


@symbolic_op
def concatenate(xs: Sequence[ArrayLike], axis: int | None = 0) -> torch.Tensor:
    """Joins `xs` along an existing `axis` (`None` flattens them first)."""
    if axis is None:
        return torch.cat([torch.ravel(tensor(x)) for x in xs])
    return torch.cat([tensor(x) for x in xs], dim=axis)


@symbolic_op
def stack(x: Sequence[ArrayLike], axis: int = 0) -> torch.Tensor:
    """Joins the tensors in `x` along a new `axis`."""
    return torch.stack([tensor(item) for item in x], dim=axis)


@symbolic_op
def split(x: ArrayLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[torch.Tensor]:
    """Splits `x` into equal sections (an int) or at the given indices (a list), as `np.split`."""
    x = tensor(x)
    if isinstance(indices_or_sections, int):
        if x.shape[axis] % indices_or_sections:
            raise ValueError(
                f"`indices_or_sections` must divide x.shape[{axis}]={x.shape[axis]} evenly. "
                f"Received: indices_or_sections={indices_or_sections}"
            )
        return list(torch.tensor_split(x, indices_or_sections, dim=axis))
    return list(torch.tensor_split(x, [int(i) for i in indices_or_sections], dim=axis))


def tile(x: ArrayLike, repeats: int | Sequence[int]) -> torch.Tensor:
    """Repeats the whole of `x` `repeats` times along each axis."""
    return torch.tile(tensor(x), (repeats,) if isinstance(repeats, int) else tuple(repeats))


@symbolic_op
def repeat(x: ArrayLike, repeats: int | Sequence[int] | ArrayLike, axis: int | None = None) -> torch.Tensor:
    """Repeats each element of `x` `repeats` times along `axis` (`None`: of the flattened `x`)."""
    x = tensor(x)
    if not isinstance(repeats, int):
        repeats = convert(repeats, torch.int64, device=x.device)
    return torch.repeat_interleave(x, repeats, dim=axis)


def flip(x: ArrayLike, axis: Axis = None) -> torch.Tensor:
    """Reverses `x` along `axis` (all axes when None)."""
    x = tensor(x)
    return torch.flip(x, axes_tuple(axis, x.ndim))


def broadcast_to(x: ArrayLike, shape: Sequence[int]) -> torch.Tensor:
    """`x` broadcast to `shape` (a view)."""
    return torch.broadcast_to(tensor(x), tuple(shape))


def swapaxes(x: ArrayLike, axis1: int, axis2: int) -> torch.Tensor:
    """Exchanges `axis1` and `axis2` of `x`."""
    return torch.swapaxes(tensor(x), axis1, axis2)


def moveaxis(x: ArrayLike, source: int | Sequence[int], destination: int | Sequence[int]) -> torch.Tensor:
    """Moves the axes `source` of `x` to positions `destination`."""
    return torch.moveaxis(tensor(x), source, destination)


def ravel(x: ArrayLike) -> torch.Tensor:
    """`x` flattened to one dimension."""
    return torch.ravel(tensor(x))


def ndim(x: ArrayLike) -> int:
    """The number of dimensions of `x`."""
    return tensor(x).ndim


def size(x: ArrayLike) -> torch.Tensor:
    """The number of elements of `x`, as a 0-d int64 tensor (as Keras returns it)."""
    count = 1
    for dim in tensor(x).shape:
        count *= dim
    return torch.tensor(count)


@symbolic_op
def take(x: ArrayLike, indices: ArrayLike, axis: int | None = None) -> torch.Tensor:
    """Gathers the entries `indices` of `x` along `axis` (of the flattened `x` when None).

    Negative indices count from the end; the output shape is
    `x.shape[:axis] + indices.shape + x.shape[axis + 1:]`.
    """
    x, indices = tensor(x), _index(indices, x)
    if axis is None:
        return torch.ravel(x)[indices]
    axis = canonical_axis(axis, x.ndim)
    return x[(builtins.slice(None),) * axis + (indices,)]


@symbolic_op
def take_along_axis(x: ArrayLike, indices: ArrayLike, axis: int | None = None) -> torch.Tensor:
    """Picks entries of `x` along `axis` at `indices` (shaped like `x`, broadcasting allowed)."""
    x, indices = tensor(x), _index(indices, x)
    if axis is None:
        x, axis = torch.ravel(x), 0
    indices = torch.where(indices < 0, indices + x.shape[axis], indices)
    return torch.take_along_dim(x, indices, dim=axis)


def _index(indices: ArrayLike, x: Any) -> Any:
    indices = convert(indices, device=getattr(x, "device", None))
    return indices if indices.dtype in (torch.int64, torch.int32) else indices.long()


@symbolic_op
def pad(
    x: ArrayLike,
    pad_width: int | Sequence[int] | Sequence[Sequence[int]],
    mode: str = "constant",
    constant_values: float | None = None,
) -> torch.Tensor:
    """Pads `x` as `np.pad`: `pad_width` is `((before, after),) * ndim` (or a broadcastable short form).

    Args:
        mode: `"constant"`, `"edge"`, `"reflect"` or `"symmetric"`.
        constant_values: the fill value for `"constant"` (default 0).
    """
    x = tensor(x)
    if mode not in _PAD_MODES:
        raise ValueError(f"`mode` must be one of {tuple(_PAD_MODES)}. Received: mode={mode!r}")
    if constant_values is not None and mode != "constant":
        raise ValueError(f"`constant_values` needs mode='constant'. Received: mode={mode!r}")
    widths = _pad_widths(pad_width, x.ndim)
    if mode == "symmetric":
        for axis, (before, after) in enumerate(widths):
            pieces = [torch.flip(torch.narrow(x, axis, 0, before), (axis,)), x] if before else [x]
            if after:
                pieces.append(torch.flip(torch.narrow(x, axis, x.shape[axis] - after, after), (axis,)))
            x = torch.cat(pieces, dim=axis) if len(pieces) > 1 else x
        return x
    flat = [w for before_after in reversed(widths) for w in before_after]
    if mode == "constant":
        return F.pad(x, flat, value=0 if constant_values is None else constant_values)
    # torch pads the last 1-3 dims of a batched input in these modes, and only floats on CPU.
    while flat and flat[-2:] == [0, 0]:
        flat = flat[:-2]
    if not flat:
        return x
    spatial = len(flat) // 2
    lead = x.shape[: x.ndim - spatial]
    batched = torch.reshape(x, (1, -1, *x.shape[x.ndim - spatial :]))
    dtype = batched.dtype
    wide = dtype in (torch.float32, torch.float64)
    out = F.pad(batched if wide else batched.float(), flat, mode=_PAD_MODES[mode])
    return torch.reshape(out.to(dtype), (*lead, *out.shape[2:]))


def _pad_widths(pad_width: Any, ndim: int) -> list[tuple[int, int]]:
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (ndim, 2))
    except ValueError:
        raise ValueError(
            f"`pad_width` must broadcast to ((before, after),) * {ndim}. Received: pad_width={pad_width}"
        ) from None
    return [(int(before), int(after)) for before, after in widths]


@symbolic_op
def append(x1: ArrayLike, x2: ArrayLike, axis: int | None = None) -> torch.Tensor:
    """`x2` appended to `x1` along `axis` (both flattened when None)."""
    x1, x2 = pair(x1, x2)
    dtype = torch.promote_types(x1.dtype, x2.dtype)
    if axis is None:
        return torch.cat([torch.ravel(x1).to(dtype), torch.ravel(x2).to(dtype)])
    return torch.cat([x1.to(dtype), x2.to(dtype)], dim=axis)


@symbolic_op
def array_split(x: ArrayLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[torch.Tensor]:
    """Like `split`, but an int need not divide the axis: the first sections get one extra element."""
    x = tensor(x)
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0:
            raise ValueError(f"`indices_or_sections` must be > 0. Received: {indices_or_sections}")
        return list(torch.tensor_split(x, indices_or_sections, dim=axis))
    return list(torch.tensor_split(x, [int(i) for i in indices_or_sections], dim=axis))


def _split_along(
    x: ArrayLike, indices_or_sections: int | Sequence[int], axis: int, least: int, name: str
) -> list:
    x = tensor(x)
    if x.ndim < least:
        raise ValueError(f"`x` must have rank >= {least} for {name}. Received: x.shape={tuple(x.shape)}")
    return split(x, indices_or_sections, axis=axis)


@symbolic_op
def hsplit(x: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[torch.Tensor]:
    """`split` along axis 1 (axis 0 for 1-D `x`)."""
    x = tensor(x)
    return _split_along(x, indices_or_sections, 1 if x.ndim > 1 else 0, 1, "hsplit")


@symbolic_op
def vsplit(x: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[torch.Tensor]:
    """`split` along axis 0 (`x` at least 2-D)."""
    return _split_along(x, indices_or_sections, 0, 2, "vsplit")


@symbolic_op
def dsplit(x: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[torch.Tensor]:
    """`split` along axis 2 (`x` at least 3-D)."""
    return _split_along(x, indices_or_sections, 2, 3, "dsplit")


def _joined(xs: Sequence[ArrayLike]) -> list[torch.Tensor]:
    tensors = [tensor(x) for x in xs]
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return [t.to(dtype) for t in tensors]


@symbolic_op
def hstack(xs: Sequence[ArrayLike]) -> torch.Tensor:
    """Joins along axis 1 (axis 0 for 1-D tensors)."""
    return torch.hstack(_joined(xs))


@symbolic_op
def vstack(xs: Sequence[ArrayLike]) -> torch.Tensor:
    """Joins along axis 0, 1-D tensors becoming rows."""
    return torch.vstack(_joined(xs))


@symbolic_op
def dstack(xs: Sequence[ArrayLike]) -> torch.Tensor:
    """Joins along axis 2, lower-rank tensors padded to 3-D first."""
    return torch.dstack(_joined(xs))


@symbolic_op
def fliplr(x: ArrayLike) -> torch.Tensor:
    """Reverses axis 1 (`x` at least 2-D)."""
    return torch.fliplr(tensor(x))


@symbolic_op
def flipud(x: ArrayLike) -> torch.Tensor:
    """Reverses axis 0."""
    return torch.flipud(tensor(x))


@symbolic_op
def roll(x: ArrayLike, shift: int | Sequence[int], axis: int | Sequence[int] | None = None) -> torch.Tensor:
    """Rolls elements along `axis` by `shift` (of the flattened `x` when None), wrapping around."""
    x = tensor(x)
    if axis is None:
        return torch.roll(torch.ravel(x), shift).reshape(x.shape)
    return torch.roll(x, shift, axis)


@symbolic_op
def rot90(array: ArrayLike, k: int = 1, axes: Sequence[int] = (0, 1)) -> torch.Tensor:
    """Rotates by `k * 90` degrees in the plane of `axes` (from the first axis toward the second)."""
    array = tensor(array)
    if array.ndim < 2:
        raise ValueError(f"`array` must have rank >= 2. Received: array.shape={tuple(array.shape)}")
    if len(axes) != 2 or axes[0] % array.ndim == axes[1] % array.ndim:
        raise ValueError(f"`axes` must be two different axes. Received: axes={axes!r}")
    return torch.rot90(array, k, list(axes))


@symbolic_op
def get_item(x: ArrayLike, key: Any) -> torch.Tensor:
    """`x[key]` (ints, slices, `None`, `Ellipsis`, index tensors)."""
    return tensor(x)[tuple(key) if isinstance(key, list) else key]


@symbolic_op
def view(x: ArrayLike, dtype: Any = None) -> torch.Tensor:
    """The bytes of `x` reinterpreted as `dtype` (the last axis scales with the item size)."""
    x = tensor(x)
    return x if dtype is None else x.view(to_torch_dtype(dtype))


@symbolic_op
def unravel_index(indices: ArrayLike, shape: Sequence[int]) -> tuple[torch.Tensor, ...]:
    """Flat indices into `shape` -> one index tensor per axis (C order)."""
    indices = tensor(indices)
    if not (indices.dtype.is_floating_point or indices.dtype == torch.bool):
        return tuple(index.to(indices.dtype) for index in torch.unravel_index(indices, tuple(shape)))
    raise TypeError(f"`indices` must be integers. Received: indices.dtype={indices.dtype}")
