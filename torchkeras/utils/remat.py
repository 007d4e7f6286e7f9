"""Rematerialization (gradient checkpointing): `keras.remat` and `keras.RematScope`.

A rematerialized computation keeps no intermediate activations for the backward pass; it runs
again during backward (`torch.utils.checkpoint`, non-reentrant), trading compute for memory.
Layers created inside a `RematScope` take its mode (as in Keras, the mode is fixed when the
layer is created) and apply it on every call.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch.utils import checkpoint

__all__ = ["RematMode", "RematScope", "get_current_remat_mode", "remat"]

_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
_STATE = threading.local()


class RematMode(NamedTuple):
    mode: str | None
    output_size_threshold: int
    layer_names: list[str]


class RematScope:
    """Enables rematerialization for the layers created inside the scope.

    Args:
        mode: `"full"` (every layer's call), `"activations"` (only the activation function of
            layers that have one, e.g. `Dense(..., activation="gelu")`), `"larger_than"`
            (layers whose output has more than `output_size_threshold` elements, counted per
            sample batch with unknown sizes as 1), `"list_of_layers"` (layers named in
            `layer_names`), or `None` (off, e.g. inside an outer scope).
        output_size_threshold: the size for `"larger_than"`.
        layer_names: the names for `"list_of_layers"`.

    Example:
    ```python
    with keras.RematScope(mode="full"):
        block = keras.layers.Dense(4096, activation="gelu")
    y = block(x)  # its activations are recomputed in the backward pass
    ```
    """

    def __init__(
        self,
        mode: str | None = "full",
        output_size_threshold: int = 1024,
        layer_names: list[str] | None = None,
    ):
        if mode not in _MODES:
            raise ValueError(
                "Argument `mode` must be one of 'full', 'activations', 'larger_than', "
                f"'list_of_layers' or None. Received: mode={mode!r}"
            )
        if not isinstance(output_size_threshold, int) or output_size_threshold < 0:
            raise ValueError(
                "Argument `output_size_threshold` must be a non-negative integer. "
                f"Received: output_size_threshold={output_size_threshold!r}"
            )
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])

    def __enter__(self) -> RematScope:
        if not hasattr(_STATE, "stack"):
            _STATE.stack = []
        _STATE.stack.append(self)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _STATE.stack.pop()


def get_current_remat_mode() -> RematMode | None:
    """The innermost open `RematScope`'s settings, or None outside any scope."""
    stack = getattr(_STATE, "stack", None)
    if not stack:
        return None
    scope = stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(f: Callable) -> Callable:
    """Returns `f` rematerialized: its intermediate results are not kept for the backward pass
    but recomputed there (the forward values and the gradients are unchanged).

    Args:
        f: the function (or layer) to rematerialize.

    Returns:
        A function with `f`'s arguments and results.

    Example:
    ```python
    block = keras.remat(lambda x: keras.ops.gelu(x @ w1) @ w2)
    loss = block(x).sum()
    ```
    """
    if not callable(f):
        raise ValueError(f"Argument `f` must be callable. Received: f={f!r}")

    @functools.wraps(f)
    def rematerialized(*args: Any, **kwargs: Any) -> Any:
        if not torch.is_grad_enabled():
            return f(*args, **kwargs)  # nothing is kept for backward anyway
        return checkpoint.checkpoint(f, *args, use_reentrant=False, **kwargs)

    return rematerialized


def output_size(outputs: Any) -> int:
    """Elements in the tensors of a (nested) output, unknown sizes counted as 1."""
    if isinstance(outputs, (list, tuple)):
        return sum(output_size(o) for o in outputs)
    if isinstance(outputs, dict):
        return sum(output_size(o) for o in outputs.values())
    shape = getattr(outputs, "shape", None)
    return 0 if shape is None else math.prod(d or 1 for d in shape)
