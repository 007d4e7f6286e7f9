"""`keras.name_scope`: prefixes for the paths of the variables created inside it."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["current_path", "name_scope", "scoped_path"]

_STATE = threading.local()


def _stack() -> list[name_scope]:
    if not hasattr(_STATE, "stack"):
        _STATE.stack = []
    return _STATE.stack


class name_scope:  # noqa: N801 (Keras's name)
    """Opens a sub-namespace for variable paths: `keras.Variable(..., name="v")` created in
    `name_scope("block")` gets the path `"block/v"`, and a layer built there `"block/dense/kernel"`.

    Args:
        name: the scope's name (a non-empty string).
        caller: optional object opening the scope.
        deduplicate: when `True` (the default), the same `caller` reopening its scope of the
            same name directly inside it adds no second level.
        override_parent: optional path that replaces the enclosing scopes' path.

    Example:
    ```python
    with keras.name_scope("encoder"):
        v = keras.Variable(initializer="zeros", shape=(3,), name="bias")
    v.path  # "encoder/bias"
    ```
    """

    def __init__(
        self,
        name: str,
        caller: Any = None,
        deduplicate: bool = True,
        override_parent: str | None = None,
    ):
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(
                f"Argument `name` must be a non-empty string without '/'. Received: name={name!r}"
            )
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        if override_parent is None and deduplicate and getattr(caller, "_parent_path", None) is not None:
            override_parent = caller._parent_path
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self) -> name_scope:
        stack = _stack()
        if self.deduplicate and stack:
            parent = stack[-1]
            if self.caller is not None and self.caller is parent.caller and self.name == parent.name:
                return self  # the same caller reopening its own scope adds no level
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._pushed:
            _stack().pop()
            self._pushed = False


def current_path() -> str:
    """The `/`-joined path of the open name scopes (`""` outside any)."""
    parts: list[str] = []
    for scope in _stack():
        if scope.override_parent is not None:
            parts = [part for part in scope.override_parent.split("/") if part]
        parts.append(scope.name)
    return "/".join(parts)


def scoped_path(path: str) -> str:
    """`path` under the open name scopes."""
    prefix = current_path()
    return f"{prefix}/{path}" if prefix else path
