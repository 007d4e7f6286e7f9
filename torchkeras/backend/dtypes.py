"""Dtype names and Keras's type promotion (`keras.backend.result_type`, `standardize_dtype`).

Promotion follows Keras's lattice (the one JAX uses): bool < weak int < unsigned/signed ints < weak
float < bfloat16/float16 < float32 < float64, with Python `int` / `float` as "weak" types that take
the other operand's width. As in Keras's torch backend, 64-bit results come back as 32-bit.
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from torchkeras import config

__all__ = ["is_float_dtype", "is_int_dtype", "result_type", "standardize_dtype"]

_PYTHON_TYPES = {
    bool: "bool",
    int: "int32",
    float: "float32",
    str: "string",
    complex: "complex64",
    "int": "int32",
}
_EXTRA_NAMES = ("string",)  # names Keras allows that are not torch dtypes
_FLOAT8 = ("float8_e4m3fn", "float8_e5m2")
_TO_32_BIT = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}

# Each type's immediate successors on the promotion lattice ("int" / "float": Python's weak types).
_SUCCESSORS = {
    "bool": ("int",),
    "int": ("uint8", "int8", "complex64"),
    "uint8": ("int16", "uint16"),
    "uint16": ("int32", "uint32"),
    "uint32": ("int64", "uint64"),
    "uint64": ("float",),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": ("float",),
    "float": ("bfloat16", "float16"),
    "bfloat16": ("float32",),
    "float16": ("float32",),
    "float32": ("float64", "complex64"),
    "float64": ("complex128",),
    "complex64": ("complex128",),
    "complex128": (),
}


def _above(node: str) -> frozenset[str]:
    """`node` and every type it promotes to."""
    seen, frontier = {node}, [node]
    while frontier:
        for successor in _SUCCESSORS[frontier.pop()]:
            if successor not in seen:
                seen.add(successor)
                frontier.append(successor)
    return frozenset(seen)


_ABOVE = {node: _above(node) for node in _SUCCESSORS}


def standardize_dtype(dtype: Any) -> str:
    """Keras's name for `dtype` (a name, a torch or NumPy dtype, or a Python type); None -> floatx."""
    if dtype is None:
        return config.floatx()
    dtype = _PYTHON_TYPES.get(dtype, dtype)
    if isinstance(dtype, str) and dtype in _EXTRA_NAMES:
        return dtype
    if isinstance(dtype, type) and hasattr(dtype, "__name__") and not isinstance(dtype, torch.dtype):
        dtype = dtype.__name__  # NumPy scalar types such as `np.float64`
    try:
        name = config.standardize_dtype(dtype)
    except ValueError:
        raise ValueError(f"Invalid dtype: {dtype}") from None
    if name != str(getattr(torch, name)).removeprefix("torch."):  # torch aliases: "float", "long", ...
        raise ValueError(f"Invalid dtype: {dtype}")
    return name


def is_float_dtype(dtype: Any) -> bool:
    """Whether `dtype` is a floating point type (bfloat16, float16, float32, float64, float8)."""
    name = standardize_dtype(dtype)
    return name.startswith("float") or name.startswith("bfloat")


def is_int_dtype(dtype: Any) -> bool:
    """Whether `dtype` is a signed or unsigned integer type."""
    name = standardize_dtype(dtype)
    return name.startswith("int") or name.startswith("uint")


@functools.cache
def _least_upper_bound(nodes: frozenset[str]) -> str:
    for node in nodes:
        if node not in _ABOVE:
            raise ValueError(f"dtype={node!r} is not a valid dtype for Keras type promotion.")
    common = frozenset.intersection(*(_ABOVE[node] for node in nodes))
    least = (common & nodes) or {c for c in common if common <= _ABOVE[c]}
    if len(least) != 1:
        raise ValueError(
            f"Input dtypes {tuple(sorted(nodes))} have no available implicit dtype promotion path. "
            "Try explicitly casting inputs to the desired output type."
        )
    return next(iter(least))


def _weak(name: str) -> str:
    """A Python number's dtype stands for its kind only ('int' / 'float'), bool stays bool."""
    if name == "bool":
        return name
    return "float" if "float" in name else "int" if "int" in name else name


def result_type(*dtypes: Any) -> str:
    """The dtype Keras's promotion rules give to an operation on `dtypes` (no argument: floatx).

    Python `int` and `float` are weak: `result_type("bfloat16", int)` is `"bfloat16"`.
    """
    if not dtypes:
        return config.floatx()
    if any(dtype in _FLOAT8 for dtype in dtypes):
        raise ValueError(f"There is no implicit conversions from float8 dtypes to others. Received: {dtypes}")
    weak = [dtype is int or dtype is float for dtype in dtypes]
    names = [standardize_dtype(dtype) for dtype in dtypes]
    if len(names) == 1:
        result, is_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        result, is_weak = names[0], False
    elif all(weak):
        result, is_weak = _least_upper_bound(frozenset(names)), True
    else:
        result = _least_upper_bound(frozenset(_weak(n) if w else n for n, w in zip(names, weak)))
        is_weak = result in ("int", "float")
    if is_weak and result != "bool":  # a weak result takes floatx's width
        width = config.floatx()[-2:]
        kind = "int" if result.startswith("i") else "uint" if result.startswith("u") else "float"
        result = f"{kind}{width}"
    return _TO_32_BIT.get(result, result)
