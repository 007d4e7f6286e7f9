"""How an op runs on symbolic tensors: torch's own `__torch_function__` protocol, for whole ops.

A torch function applied to a `KerasTensor` dispatches to `KerasTensor.__torch_function__`, which
records it as one graph node and infers its output on fake tensors. `@symbolic_op` gives a composite
op (many torch calls, e.g. `image.resize`) the same behaviour through `torch.overrides`, so it
becomes one node named for itself, and a saved functional model names `torchkeras.ops.image.resize`
rather than its internals. On real tensors the wrapper only scans the arguments' types.

An op whose output size depends on the data (`nonzero`, `unique`, ...) cannot be traced on
placeholders; it declares its output instead: `@symbolic_op(output_spec=fn)`, where `fn` takes the
op's arguments and returns an `OutputSpec` (or a tuple of them) with `None` for unknown sizes, or
None to trace the call as usual.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import torch
from torch.overrides import handle_torch_function, has_torch_function

from torchkeras import config

__all__ = ["OutputSpec", "declared_output_spec", "dtype_of", "is_symbolic_op", "shape_of", "symbolic_op"]

F = TypeVar("F", bound=Callable[..., Any])
_PLAIN = (torch.Tensor, int, float, bool, str, type(None))


def _overridable(values: Any, found: list) -> None:
    for value in values:
        kind = type(value)
        if kind in _PLAIN:
            continue
        if kind in (list, tuple):
            _overridable(value, found)
        elif hasattr(kind, "__torch_function__"):
            found.append(value)


@dataclasses.dataclass(frozen=True)
class OutputSpec:
    """The shape (ints, `None` where unknown) and dtype name of one output of an op."""

    shape: tuple
    dtype: str


def symbolic_op(function: F | None = None, *, output_spec: Callable[..., Any] | None = None) -> Any:
    """Makes `function` dispatch through `__torch_function__` when an argument (or an item of a list
    or tuple argument) is a tensor-like such as `KerasTensor`.

    Args:
        function: the op.
        output_spec: optional; called with the op's arguments on symbolic tensors, returns the
            op's `OutputSpec`(s), or None to infer them by tracing the op.
    """
    if function is None:
        return functools.partial(symbolic_op, output_spec=output_spec)

    @functools.wraps(function)
    def op(*args: Any, **kwargs: Any) -> Any:
        found: list = []
        _overridable(args, found)
        if kwargs:
            _overridable(kwargs.values(), found)
        if found and has_torch_function(found):
            return handle_torch_function(op, found, *args, **kwargs)
        return function(*args, **kwargs)

    op._symbolic_op = True  # type: ignore[attr-defined]
    op._output_spec = output_spec  # type: ignore[attr-defined]
    return op  # type: ignore[return-value]


def declared_output_spec(function: Any, args: tuple, kwargs: dict) -> Any:
    """The `OutputSpec`(s) `function` declares for these arguments, or None (trace it instead)."""
    declare = getattr(function, "_output_spec", None)
    return None if declare is None else declare(*args, **kwargs)


def shape_of(value: Any) -> tuple:
    """The shape of a symbolic tensor, a tensor, an array or a Python value."""
    shape = getattr(value, "shape", None)
    return tuple(np.shape(value)) if shape is None else tuple(shape)


def dtype_of(value: Any) -> str:
    """The dtype name of a symbolic tensor, a tensor or an array (`"float32"`, `"int64"`, ...)."""
    dtype = getattr(value, "dtype", None)
    return config.standardize_dtype(np.asarray(value).dtype if dtype is None else dtype)


def is_symbolic_op(value: Any) -> bool:
    """Whether `value` was made by `symbolic_op`."""
    return getattr(value, "_symbolic_op", False) is True
