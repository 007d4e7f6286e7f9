"""`keras.StatelessScope`: run code against given variable values, collecting assignments
instead of applying them.

Inside the scope, every torch operation that reads a mapped variable reads its mapped value
instead (a `TorchFunctionMode` substitutes it, so gradients flow to the mapped tensors), and
`Variable.assign` / `assign_add` / `assign_sub` record the new value in the scope. Nothing is
written to the variables themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_map

__all__ = ["StatelessScope", "current", "in_stateless_scope"]

_STATE = threading.local()


class StatelessScope:
    """A scope in which no Keras variable is updated in place.

    Args:
        state_mapping: optional iterable of `(variable, value)` pairs: the values the variables
            take inside the scope (in Keras's layout, each with the variable's shape).
        collect_losses: whether losses added with `layer.add_loss` inside the scope are kept in
            `scope.losses` (otherwise they are dropped, as in Keras).
        initialize_variables: accepted for Keras compatibility; variables here always hold a
            value from creation.

    Example:
    ```python
    mapping = [(w, keras.ops.ones(w.shape)) for w in layer.weights]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        outputs = layer(inputs)  # computed with all-ones weights
    layer.weights[0]  # unchanged
    ```
    """

    def __init__(
        self,
        state_mapping: Iterable[tuple[torch.Tensor, Any]] | None = None,
        collect_losses: bool = False,
        initialize_variables: bool = True,
    ):
        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses: list[torch.Tensor] = []
        self._values: dict[int, torch.Tensor] = {}  # id(variable) -> value in Keras's layout
        self._stored: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}  # id -> (variable, stored)
        for variable, value in state_mapping or ():
            if not isinstance(variable, torch.Tensor) or not hasattr(variable, "keras_shape"):
                raise ValueError(
                    "Every key of `state_mapping` must be a Variable. "
                    f"Received: {type(variable).__name__} {variable!r}"
                )
            value = _as_value(variable, value)
            if tuple(value.shape) != variable.keras_shape:
                raise ValueError(
                    f"The value for variable '{variable.path}' in `state_mapping` must have shape "
                    f"{variable.keras_shape}. Received: shape {tuple(value.shape)}"
                )
            self._set(variable, value)
        self._mode: _ReadMappedValues | None = None
        self._outer: StatelessScope | None = None

    def _set(self, variable: Any, value: torch.Tensor) -> None:
        self._values[id(variable)] = value
        layout = getattr(variable, "_layout", None)
        self._stored[id(variable)] = (variable, value if layout is None else layout.from_keras(value))

    def add_loss(self, loss: torch.Tensor) -> None:
        self.losses.append(loss)

    def add_update(self, update: tuple[Any, Any]) -> None:
        """Records `variable = value` (a `(variable, value)` pair) without touching the variable."""
        variable, value = update
        self._set(variable, _as_value(variable, value))

    def get_current_value(self, variable: Any) -> torch.Tensor | None:
        """The variable's value in this scope (mapped or assigned), or None when it has none."""
        return self._values.get(id(variable))

    def stored_value(self, variable: Any) -> torch.Tensor | None:
        """The value in the variable's own storage layout, or None."""
        entry = self._stored.get(id(variable))
        return None if entry is None else entry[1]

    def __enter__(self) -> StatelessScope:
        self._outer = current()
        _STATE.scope = self
        self._mode = _ReadMappedValues(self)
        self._mode.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._mode is not None:
            self._mode.__exit__(*exc_info)
            self._mode = None
        _STATE.scope = self._outer
        self._outer = None


class _ReadMappedValues(TorchFunctionMode):
    """Replaces each mapped variable in a torch call's arguments by its value in the scope."""

    def __init__(self, scope: StatelessScope):
        super().__init__()
        self.scope = scope

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        stored = self.scope._stored
        if stored:

            def substitute(value: Any) -> Any:
                if isinstance(value, torch.Tensor):
                    entry = stored.get(id(value))
                    if entry is not None and entry[0] is value:
                        return entry[1]
                return value

            args, kwargs = tree_map(substitute, (args, kwargs or {}))
        return func(*args, **(kwargs or {}))


def _as_value(variable: Any, value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.to(dtype=variable.dtype, device=variable.device)
    return torch.as_tensor(value, dtype=variable.dtype, device=variable.device)


def current() -> StatelessScope | None:
    """The innermost open `StatelessScope` of this thread, or None."""
    return getattr(_STATE, "scope", None)


def in_stateless_scope() -> bool:
    return current() is not None
