"""Turning op arguments into tensors, cheaply: the one place `torchkeras.ops` converts inputs.

Tensors and tensor-likes (any object whose type defines `__torch_function__`, such as the symbolic
`KerasTensor`) pass through untouched, so torch functions applied to them dispatch as usual. Python
numbers and lists follow Keras's dtype rules (float -> floatx, int -> int32, bool -> bool); NumPy
arrays keep their dtype.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, Union

import numpy as np
import torch

from torchkeras import config

__all__ = [
    "HALF_FLOATS",
    "INT32",
    "NUMBERS",
    "SMALL_INTS",
    "ArrayLike",
    "Axis",
    "axes_tuple",
    "canonical_axis",
    "convert",
    "floatx_dtype",
    "is_float",
    "is_tensor_like",
    "number_dtype",
    "pair",
    "scalar_pair",
    "tensor",
    "to_torch_dtype",
]

ArrayLike = Any  # a tensor, a tensor-like, a NumPy array, a (nested) list or a Python number
Axis = Union[int, Sequence[int], None]  # noqa: UP007 (a runtime alias)

NUMBERS = (bool, int, float)  # Python numbers, matched by exact type (`type(x) in NUMBERS`)
INT32 = torch.int32
SMALL_INTS = (torch.bool, torch.uint8, torch.int8, torch.int16)  # summed as int32, as Keras does
HALF_FLOATS = (torch.float16, torch.bfloat16)

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_PY_SCALARS = NUMBERS
_PY_DTYPES = {bool: torch.bool, int: torch.int32, float: torch.float32}
# NumPy dtypes torch cannot hold, mapped as Keras's torch backend maps them.
_NUMPY_WIDEN = {np.dtype("uint16"): torch.int32, np.dtype("uint32"): torch.int64}
_DTYPE_CACHE: dict[Any, torch.dtype] = {}


def to_torch_dtype(dtype: Any) -> torch.dtype:
    """`"float32"`, `torch.float32`, `np.float32`, `float` ... -> `torch.float32`; `None` -> floatx."""
    try:
        return _DTYPE_CACHE[dtype]
    except (KeyError, TypeError):
        pass
    if dtype is None:
        return config.torch_dtype(None)  # floatx can change: never cached
    if dtype in _PY_DTYPES:
        result = _PY_DTYPES[dtype]
    elif isinstance(dtype, type) and issubclass(dtype, np.generic):
        result = config.torch_dtype(np.dtype(dtype).name)
    else:
        result = config.torch_dtype(dtype)
    with contextlib.suppress(TypeError):  # unhashable, e.g. some dtype policy objects
        _DTYPE_CACHE[dtype] = result
    return result


def floatx_dtype() -> torch.dtype:
    """The `torch.dtype` of `config.floatx()`."""
    return to_torch_dtype(config.floatx())


def number_dtype(value: bool | int | float) -> torch.dtype:
    """Keras's dtype for a Python number: bool, int32 (int64 beyond its range), or floatx."""
    kind = type(value)
    if kind is bool:
        return torch.bool
    if kind is int:
        return torch.int32 if _INT32_MIN <= value <= _INT32_MAX else torch.int64
    return floatx_dtype()


def is_tensor_like(x: Any) -> bool:
    """True for tensors and for objects whose type defines `__torch_function__`."""
    return isinstance(x, torch.Tensor) or (
        hasattr(type(x), "__torch_function__") and not isinstance(x, np.ndarray)
    )


def convert(x: Any, dtype: torch.dtype | None = None, device: Any = None) -> Any:
    """Returns `x` as a tensor of `dtype` (a `torch.dtype` or `None`) on `device`.

    Tensor-likes are returned as they are (cast if `dtype` is given); see the module docstring for
    the dtype rules of everything else.
    """
    if is_tensor_like(x):
        return x if dtype is None else x.to(dtype)
    if type(x) in NUMBERS:
        return torch.tensor(x, dtype=dtype or number_dtype(x), device=device)
    python_values = isinstance(x, (list, tuple))
    if python_values:
        if any(is_tensor_like(item) for item in x):
            return torch.stack([convert(item, dtype, device) for item in x])
    elif hasattr(x, "to_numpy"):  # pandas objects, without importing pandas
        x = x.to_numpy()
    array = np.asarray(x)
    if array.dtype.kind in "OUSV":
        raise ValueError(
            f"Expected numeric data, got an array of dtype {array.dtype} (strings or objects). "
            "Encode it as numbers first."
        )
    if dtype is None:
        if python_values and array.dtype == np.float64:
            dtype = floatx_dtype()
        elif python_values and array.dtype == np.int64:
            fits = array.size == 0 or (array.min() >= _INT32_MIN and array.max() <= _INT32_MAX)
            dtype = torch.int32 if fits else torch.int64
        else:
            dtype = _NUMPY_WIDEN.get(array.dtype)
    return torch.as_tensor(array, dtype=dtype, device=device)


def tensor(x: Any) -> Any:
    """`x` if it is a tensor or tensor-like, else `convert(x)`: the per-argument fast path."""
    if isinstance(x, torch.Tensor):
        return x
    return convert(x)


def pair(x1: Any, x2: Any) -> tuple[Any, Any]:
    """Both operands of a binary op as tensors; a non-tensor joins its partner's device."""
    if isinstance(x1, torch.Tensor) and isinstance(x2, torch.Tensor):
        return x1, x2
    like1, like2 = is_tensor_like(x1), is_tensor_like(x2)
    if not like1:
        x1 = _convert_beside(x1, x2 if like2 else None)
    if not like2:
        x2 = _convert_beside(x2, x1 if like1 else None)
    return x1, x2


def scalar_pair(x1: Any, x2: Any) -> tuple[Any, Any]:
    """Like `pair`, but a Python number `x2` beside a tensor `x1` stays a number.

    For torch functions taking `(Tensor, Number)`: no tensor is built, and torch's own weak typing
    of Python numbers applies (int32 tensor + 2.5 -> float32, float16 tensor * 2.0 -> float16).
    """
    if isinstance(x1, torch.Tensor) and (isinstance(x2, torch.Tensor) or type(x2) in _PY_SCALARS):
        return x1, x2
    if is_tensor_like(x1) and type(x2) in _PY_SCALARS:
        return x1, x2
    return pair(x1, x2)


def _convert_beside(x: Any, partner: Any) -> Any:
    # A Python number stays on the CPU as a 0-d tensor: torch mixes those with any device, and a
    # 0-d tensor does not widen its partner's dtype (float16 tensor + 0-d float32 -> float16).
    if partner is None or type(x) in _PY_SCALARS:
        return convert(x)
    return convert(x, device=getattr(partner, "device", None))


def is_float(x: Any) -> bool:
    """True if the dtype of tensor `x` is floating point (or complex)."""
    return x.dtype.is_floating_point or x.dtype.is_complex


def axes_tuple(axis: Axis, ndim: int) -> tuple[int, ...]:
    """`axis` as a tuple of axes; all `ndim` axes when `axis` is None."""
    if axis is None:
        return tuple(range(ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def canonical_axis(axis: int, ndim: int) -> int:
    """`axis` in `[0, ndim)`, counting negative axes from the end."""
    if not -ndim <= axis < ndim:
        raise ValueError(f"`axis` must be in [-{ndim}, {ndim}). Received: axis={axis}")
    return axis % ndim
