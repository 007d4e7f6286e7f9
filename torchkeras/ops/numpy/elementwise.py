"""Element-wise math with NumPy broadcasting: arithmetic, comparisons, logic, unary functions."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.ops._convert import (
    INT32,
    NUMBERS,
    ArrayLike,
    floatx_dtype,
    is_float,
    number_dtype,
    pair,
    scalar_pair,
    tensor,
)

__all__ = [
    "abs",
    "absolute",
    "add",
    "arctan",
    "ceil",
    "clip",
    "cos",
    "divide",
    "equal",
    "exp",
    "floor",
    "floor_divide",
    "greater",
    "greater_equal",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logical_and",
    "logical_not",
    "logical_or",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "nan_to_num",
    "negative",
    "not_equal",
    "power",
    "reciprocal",
    "round",
    "sign",
    "sin",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "true_divide",
]


def add(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 + x2`."""
    return torch.add(*scalar_pair(x1, x2))


def subtract(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 - x2`."""
    return torch.subtract(*scalar_pair(x1, x2))


def multiply(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 * x2`."""
    return torch.multiply(*scalar_pair(x1, x2))


def divide(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise true division `x1 / x2` (integers give floats)."""
    return torch.divide(*scalar_pair(x1, x2))


def true_divide(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Alias of `divide`."""
    return torch.divide(*scalar_pair(x1, x2))


def floor_divide(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 // x2`, rounding toward minus infinity."""
    return torch.floor_divide(*scalar_pair(x1, x2))


def mod(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise remainder of `x1 // x2`, with the sign of `x2` (as `np.mod`)."""
    return torch.remainder(*scalar_pair(x1, x2))


def power(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 ** x2`."""
    return torch.pow(*scalar_pair(x1, x2))


def maximum(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise maximum (NaN wins)."""
    return torch.maximum(*pair(x1, x2))


def minimum(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise minimum (NaN wins)."""
    return torch.minimum(*pair(x1, x2))


def equal(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 == x2`, as bool."""
    return torch.eq(*scalar_pair(x1, x2))


def not_equal(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 != x2`, as bool."""
    return torch.ne(*scalar_pair(x1, x2))


def greater(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 > x2`, as bool."""
    return torch.gt(*scalar_pair(x1, x2))


def greater_equal(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 >= x2`, as bool."""
    return torch.ge(*scalar_pair(x1, x2))


def less(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 < x2`, as bool."""
    return torch.lt(*scalar_pair(x1, x2))


def less_equal(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 <= x2`, as bool."""
    return torch.le(*scalar_pair(x1, x2))


def logical_and(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise logical AND (non-zero is true), as bool."""
    return torch.logical_and(*pair(x1, x2))


def logical_or(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise logical OR (non-zero is true), as bool."""
    return torch.logical_or(*pair(x1, x2))


def logical_not(x: ArrayLike) -> torch.Tensor:
    """Element-wise logical NOT (non-zero is true), as bool."""
    return torch.logical_not(tensor(x))


def negative(x: ArrayLike) -> torch.Tensor:
    """Element-wise `-x`."""
    return torch.negative(tensor(x))


def abs(x: ArrayLike) -> torch.Tensor:
    """Element-wise absolute value."""
    return torch.abs(tensor(x))


absolute = abs


def sign(x: ArrayLike) -> torch.Tensor:
    """Element-wise sign: -1, 0 or 1."""
    return torch.sign(tensor(x))


def sqrt(x: ArrayLike) -> torch.Tensor:
    """Element-wise square root (integers give floatx)."""
    return torch.sqrt(tensor(x))


def square(x: ArrayLike) -> torch.Tensor:
    """Element-wise `x * x`."""
    return torch.square(tensor(x))


def exp(x: ArrayLike) -> torch.Tensor:
    """Element-wise `e ** x`."""
    return torch.exp(tensor(x))


def log(x: ArrayLike) -> torch.Tensor:
    """Element-wise natural logarithm."""
    return torch.log(tensor(x))


def log1p(x: ArrayLike) -> torch.Tensor:
    """Element-wise `log(1 + x)`, accurate for small `x`."""
    return torch.log1p(tensor(x))


def log2(x: ArrayLike) -> torch.Tensor:
    """Element-wise base-2 logarithm."""
    return torch.log2(tensor(x))


def log10(x: ArrayLike) -> torch.Tensor:
    """Element-wise base-10 logarithm."""
    return torch.log10(tensor(x))


def sin(x: ArrayLike) -> torch.Tensor:
    """Element-wise sine."""
    return torch.sin(tensor(x))


def cos(x: ArrayLike) -> torch.Tensor:
    """Element-wise cosine."""
    return torch.cos(tensor(x))


def tan(x: ArrayLike) -> torch.Tensor:
    """Element-wise tangent."""
    return torch.tan(tensor(x))


def tanh(x: ArrayLike) -> torch.Tensor:
    """Element-wise hyperbolic tangent."""
    return torch.tanh(tensor(x))


def arctan(x: ArrayLike) -> torch.Tensor:
    """Element-wise inverse tangent."""
    return torch.arctan(tensor(x))


def floor(x: ArrayLike) -> torch.Tensor:
    """Element-wise floor."""
    return torch.floor(tensor(x))


def ceil(x: ArrayLike) -> torch.Tensor:
    """Element-wise ceiling."""
    return torch.ceil(tensor(x))


def reciprocal(x: ArrayLike) -> torch.Tensor:
    """Element-wise `1 / x`."""
    return torch.reciprocal(tensor(x))


def round(x: ArrayLike, decimals: int = 0) -> torch.Tensor:
    """Rounds half to even, to `decimals` places; integers keep their dtype."""
    x = tensor(x)
    if is_float(x):
        return torch.round(x, decimals=decimals)
    return torch.round(x.to(floatx_dtype()), decimals=decimals).to(x.dtype)


def clip(x: ArrayLike, x_min: ArrayLike, x_max: ArrayLike) -> torch.Tensor:
    """Limits `x` to `[x_min, x_max]` (bools become int32)."""
    x = tensor(x)
    if x.dtype == torch.bool:
        x = x.to(INT32)
    if type(x_min) in NUMBERS and type(x_max) in NUMBERS:
        return torch.clamp(x, x_min, x_max)
    # torch.clamp takes two numbers or two tensors on the device of `x` (not CPU scalars).
    return torch.clamp(x, _bound(x_min, x), _bound(x_max, x))


def _bound(value: ArrayLike, x: Any) -> Any:
    if type(value) in NUMBERS:  # filled on the device: no host-to-device copy
        return torch.full((), value, dtype=number_dtype(value), device=x.device)
    return pair(x, value)[1]


def isnan(x: ArrayLike) -> torch.Tensor:
    """Element-wise test for NaN, as bool."""
    return torch.isnan(tensor(x))


def isinf(x: ArrayLike) -> torch.Tensor:
    """Element-wise test for +/- infinity, as bool."""
    return torch.isinf(tensor(x))


def isfinite(x: ArrayLike) -> torch.Tensor:
    """Element-wise test for finite values, as bool."""
    return torch.isfinite(tensor(x))


def nan_to_num(
    x: ArrayLike, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> torch.Tensor:
    """Replaces NaN by `nan` and infinities by `posinf`/`neginf` (default: the dtype's extremes)."""
    return torch.nan_to_num(tensor(x), nan=nan, posinf=posinf, neginf=neginf)
