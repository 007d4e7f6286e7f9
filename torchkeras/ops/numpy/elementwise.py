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
from torchkeras.ops._symbolic import symbolic_op

__all__ = [
    "abs",
    "absolute",
    "add",
    "allclose",
    "angle",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "cbrt",
    "ceil",
    "clip",
    "conj",
    "conjugate",
    "cos",
    "cosh",
    "deg2rad",
    "divide",
    "divide_no_nan",
    "equal",
    "exp",
    "exp2",
    "expm1",
    "fabs",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "gcd",
    "greater",
    "greater_equal",
    "heaviside",
    "hypot",
    "i0",
    "imag",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "lcm",
    "ldexp",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "nan_to_num",
    "negative",
    "nextafter",
    "not_equal",
    "power",
    "rad2deg",
    "real",
    "reciprocal",
    "round",
    "sign",
    "signbit",
    "sin",
    "sinc",
    "sinh",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "true_divide",
    "trunc",
]


@symbolic_op
def add(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 + x2`."""
    return torch.add(*scalar_pair(x1, x2))


@symbolic_op
def subtract(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 - x2`."""
    return torch.subtract(*scalar_pair(x1, x2))


@symbolic_op
def multiply(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 * x2`."""
    return torch.multiply(*scalar_pair(x1, x2))


@symbolic_op
def divide(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise true division `x1 / x2` (integers give floats)."""
    return torch.divide(*scalar_pair(x1, x2))


@symbolic_op
def true_divide(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Alias of `divide`."""
    return torch.divide(*scalar_pair(x1, x2))


@symbolic_op
def floor_divide(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 // x2`, rounding toward minus infinity."""
    return torch.floor_divide(*scalar_pair(x1, x2))


@symbolic_op
def mod(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise remainder of `x1 // x2`, with the sign of `x2` (as `np.mod`)."""
    return torch.remainder(*scalar_pair(x1, x2))


@symbolic_op
def power(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 ** x2`."""
    return torch.pow(*scalar_pair(x1, x2))


@symbolic_op
def maximum(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise maximum (NaN wins)."""
    return torch.maximum(*pair(x1, x2))


@symbolic_op
def minimum(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise minimum (NaN wins)."""
    return torch.minimum(*pair(x1, x2))


@symbolic_op
def equal(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 == x2`, as bool."""
    return torch.eq(*scalar_pair(x1, x2))


@symbolic_op
def not_equal(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 != x2`, as bool."""
    return torch.ne(*scalar_pair(x1, x2))


@symbolic_op
def greater(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 > x2`, as bool."""
    return torch.gt(*scalar_pair(x1, x2))


@symbolic_op
def greater_equal(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 >= x2`, as bool."""
    return torch.ge(*scalar_pair(x1, x2))


@symbolic_op
def less(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 < x2`, as bool."""
    return torch.lt(*scalar_pair(x1, x2))


@symbolic_op
def less_equal(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 <= x2`, as bool."""
    return torch.le(*scalar_pair(x1, x2))


@symbolic_op
def logical_and(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise logical AND (non-zero is true), as bool."""
    return torch.logical_and(*pair(x1, x2))


@symbolic_op
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


@symbolic_op
def round(x: ArrayLike, decimals: int = 0) -> torch.Tensor:
    """Rounds half to even, to `decimals` places; integers keep their dtype."""
    x = tensor(x)
    if is_float(x):
        return torch.round(x, decimals=decimals)
    return torch.round(x.to(floatx_dtype()), decimals=decimals).to(x.dtype)


@symbolic_op
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


# ------------------------------------------------------------ added with the rest of keras.ops.numpy


def _floating(x: ArrayLike) -> torch.Tensor:
    """`x` as a tensor, integers and bools in floatx (as Keras computes transcendental functions)."""
    x = tensor(x)
    return x if is_float(x) else x.to(floatx_dtype())


def _float_pair(x1: ArrayLike, x2: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    x1, x2 = pair(x1, x2)
    dtype = torch.promote_types(x1.dtype, x2.dtype)
    if not (dtype.is_floating_point or dtype.is_complex):
        dtype = floatx_dtype()
    return x1.to(dtype), x2.to(dtype)


@symbolic_op
def arccos(x: ArrayLike) -> torch.Tensor:
    """Element-wise inverse cosine."""
    return torch.arccos(_floating(x))


@symbolic_op
def arcsin(x: ArrayLike) -> torch.Tensor:
    """Element-wise inverse sine."""
    return torch.arcsin(_floating(x))


@symbolic_op
def arccosh(x: ArrayLike) -> torch.Tensor:
    """Element-wise inverse hyperbolic cosine."""
    return torch.arccosh(_floating(x))


@symbolic_op
def arcsinh(x: ArrayLike) -> torch.Tensor:
    """Element-wise inverse hyperbolic sine."""
    return torch.arcsinh(_floating(x))


@symbolic_op
def arctanh(x: ArrayLike) -> torch.Tensor:
    """Element-wise inverse hyperbolic tangent."""
    return torch.arctanh(_floating(x))


@symbolic_op
def arctan2(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise angle of the point `(x2, x1)`, in `[-pi, pi]`."""
    return torch.arctan2(*_float_pair(x1, x2))


@symbolic_op
def cosh(x: ArrayLike) -> torch.Tensor:
    """Element-wise hyperbolic cosine."""
    return torch.cosh(_floating(x))


@symbolic_op
def sinh(x: ArrayLike) -> torch.Tensor:
    """Element-wise hyperbolic sine."""
    return torch.sinh(_floating(x))


@symbolic_op
def sinc(x: ArrayLike) -> torch.Tensor:
    """Element-wise normalized sinc: `sin(pi x) / (pi x)`, 1 at 0."""
    return torch.sinc(_floating(x))


@symbolic_op
def cbrt(x: ArrayLike) -> torch.Tensor:
    """Element-wise real cube root."""
    x = _floating(x)
    return torch.sign(x) * torch.pow(torch.abs(x), 1.0 / 3.0)


@symbolic_op
def deg2rad(x: ArrayLike) -> torch.Tensor:
    """Degrees to radians."""
    return torch.deg2rad(_floating(x))


@symbolic_op
def rad2deg(x: ArrayLike) -> torch.Tensor:
    """Radians to degrees."""
    return torch.rad2deg(_floating(x))


@symbolic_op
def exp2(x: ArrayLike) -> torch.Tensor:
    """Element-wise `2 ** x`."""
    return torch.exp2(_floating(x))


@symbolic_op
def expm1(x: ArrayLike) -> torch.Tensor:
    """Element-wise `exp(x) - 1`, accurate for small `x`."""
    return torch.expm1(_floating(x))


@symbolic_op
def fabs(x: ArrayLike) -> torch.Tensor:
    """Element-wise absolute value, always floating point."""
    return torch.abs(_floating(x))


@symbolic_op
def i0(x: ArrayLike) -> torch.Tensor:
    """Modified Bessel function of the first kind, order 0."""
    return torch.i0(_floating(x))


@symbolic_op
def trunc(x: ArrayLike) -> torch.Tensor:
    """Element-wise rounding toward zero; integers are returned as they are."""
    x = tensor(x)
    return torch.trunc(x) if is_float(x) else x


@symbolic_op
def signbit(x: ArrayLike) -> torch.Tensor:
    """Element-wise: is the sign bit set (true for -0.0 too)."""
    x = tensor(x)
    return torch.signbit(x) if x.dtype != torch.bool else torch.zeros_like(x)


@symbolic_op
def hypot(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `sqrt(x1**2 + x2**2)`."""
    return torch.hypot(*_float_pair(x1, x2))


@symbolic_op
def logaddexp(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `log(exp(x1) + exp(x2))`, computed stably."""
    return torch.logaddexp(*_float_pair(x1, x2))


@symbolic_op
def logaddexp2(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `log2(2**x1 + 2**x2)`, computed stably."""
    return torch.logaddexp2(*_float_pair(x1, x2))


@symbolic_op
def ldexp(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise `x1 * 2**x2` (`x2` integer)."""
    x1, x2 = pair(x1, x2)
    if x2.dtype.is_floating_point:
        raise TypeError(f"`x2` must be an integer tensor. Received: x2.dtype={x2.dtype}")
    return torch.ldexp(_floating(x1), x2)


@symbolic_op
def nextafter(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """The next representable float after `x1` toward `x2`."""
    x1, x2 = _float_pair(x1, x2)
    return torch.nextafter(x1, x2)


@symbolic_op
def fmax(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise maximum that ignores NaN (NaN only where both are NaN)."""
    return torch.fmax(*pair(x1, x2))


@symbolic_op
def fmin(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise minimum that ignores NaN."""
    return torch.fmin(*pair(x1, x2))


@symbolic_op
def fmod(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise remainder with the sign of `x1` (C's `fmod`; `mod` takes the sign of `x2`)."""
    return torch.fmod(*pair(x1, x2))


@symbolic_op
def gcd(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise greatest common divisor of integers."""
    return torch.gcd(*pair(x1, x2))


@symbolic_op
def lcm(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise least common multiple of integers."""
    return torch.lcm(*pair(x1, x2))


@symbolic_op
def heaviside(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Step function: 0 where `x1 < 0`, `x2` where `x1 == 0`, 1 where `x1 > 0`."""
    x1, x2 = pair(x1, x2)
    dtype = torch.promote_types(x1.dtype, x2.dtype)
    if dtype == torch.bool or not dtype.is_floating_point and dtype in (torch.int8, torch.uint8, torch.int16):
        dtype = torch.int32 if dtype != torch.bool else floatx_dtype()
    return torch.heaviside(x1.to(dtype), x2.to(dtype))


@symbolic_op
def logical_xor(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Element-wise logical XOR (non-zero is true), as bool."""
    return torch.logical_xor(*pair(x1, x2))


@symbolic_op
def divide_no_nan(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """`x1 / x2`, with 0 wherever `x2` is 0."""
    x1, x2 = pair(x1, x2)
    quotient = torch.divide(x1, x2)
    return torch.where(x2 == 0, torch.zeros((), dtype=quotient.dtype, device=quotient.device), quotient)


@symbolic_op
def isclose(
    x1: ArrayLike, x2: ArrayLike, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> torch.Tensor:
    """Element-wise `|x1 - x2| <= atol + rtol * |x2|`, as bool."""
    x1, x2 = pair(x1, x2)
    dtype = torch.promote_types(x1.dtype, x2.dtype)
    return torch.isclose(x1.to(dtype), x2.to(dtype), rtol=rtol, atol=atol, equal_nan=equal_nan)


@symbolic_op
def isposinf(x: ArrayLike) -> torch.Tensor:
    """Element-wise test for +infinity, as bool."""
    return torch.isposinf(tensor(x))


@symbolic_op
def isneginf(x: ArrayLike) -> torch.Tensor:
    """Element-wise test for -infinity, as bool."""
    return torch.isneginf(tensor(x))


@symbolic_op
def isreal(x: ArrayLike) -> torch.Tensor:
    """Element-wise: is the imaginary part zero (always true for real dtypes)."""
    return torch.isreal(tensor(x))


@symbolic_op
def real(x: ArrayLike) -> torch.Tensor:
    """The real part (a real `x` is returned as it is)."""
    x = tensor(x)
    return torch.real(x) if x.dtype.is_complex else x


@symbolic_op
def imag(x: ArrayLike) -> torch.Tensor:
    """The imaginary part (zeros for a real `x`)."""
    x = tensor(x)
    return torch.imag(x) if x.dtype.is_complex else torch.zeros_like(x)


@symbolic_op
def conj(x: ArrayLike) -> torch.Tensor:
    """The complex conjugate (a real `x` is returned as it is)."""
    x = tensor(x)
    return torch.conj_physical(x) if x.dtype.is_complex else x


conjugate = conj


@symbolic_op
def angle(x: ArrayLike) -> torch.Tensor:
    """Element-wise argument (phase) in radians; 0 or pi for real numbers."""
    return torch.angle(_floating(x))


@symbolic_op
def allclose(
    x1: ArrayLike, x2: ArrayLike, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> torch.Tensor:
    """Whether every pair of elements is close (`isclose`), as a bool scalar tensor."""
    return torch.all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))
