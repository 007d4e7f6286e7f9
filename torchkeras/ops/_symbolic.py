"""How an op runs on symbolic tensors: torch's own `__torch_function__` protocol, for whole ops.

A torch function applied to a `KerasTensor` dispatches to `KerasTensor.__torch_function__`, which
records it as one graph node and infers its output on fake tensors. `@symbolic_op` gives a composite
op (many torch calls, e.g. `image.resize`) the same behaviour through `torch.overrides`, so it
becomes one node named for itself, and a saved functional model names `torchkeras.ops.image.resize`
rather than its internals. On real tensors the wrapper only scans the arguments' types.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch.overrides import handle_torch_function, has_torch_function

__all__ = ["is_symbolic_op", "symbolic_op"]

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


def symbolic_op(function: F) -> F:
    """Makes `function` dispatch through `__torch_function__` when an argument (or an item of a list
    or tuple argument) is a tensor-like such as `KerasTensor`."""

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
    return op  # type: ignore[return-value]


def is_symbolic_op(value: Any) -> bool:
    """Whether `value` was made by `symbolic_op`."""
    return getattr(value, "_symbolic_op", False) is True
