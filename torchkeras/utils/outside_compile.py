"""`outside_compile`: a function that `torch.compile` runs eagerly, between graphs.

`torch.compiler.disable` would do, but applying it imports `torch._dynamo` (~0.7 s), which an
eager `fit` never needs. Here an eager call goes straight to the function; only a call made while
Dynamo traces (when Dynamo is loaded anyway) goes through the disabled version, which Dynamo
leaves out of the graph (a graph break) and runs as plain Python.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import torch

__all__ = ["outside_compile"]

F = TypeVar("F", bound=Callable[..., Any])


def outside_compile(function: F) -> F:
    """Decorator: `function` runs eagerly, also when called from code that `torch.compile` traces.

    Use it for what a graph cannot hold: `backward()` and the optimizer update, or building
    weights the first time a layer is called.

    Example:
    ```python
    @outside_compile
    def update(model, loss):
        loss.backward()
    ```
    """
    # `torch._disable_dynamo` imports Dynamo on its first call, not here; Dynamo skips its
    # wrapper (it lives in torch), so the traced call becomes a graph break.
    disabled = torch._disable_dynamo(function)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if torch.compiler.is_compiling():
            return disabled(*args, **kwargs)
        return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
