"""`keras.SymbolicScope`: marks code that runs on symbolic tensors (shape inference)."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["SymbolicScope", "in_symbolic_scope"]

_STATE = threading.local()


class SymbolicScope:
    """A scope marking the symbolic stage: inside it `in_symbolic_scope()` is `True`.

    torchkeras opens one while it infers a layer's output shapes on symbolic inputs, so code in
    `call` can tell shape inference from a real computation.

    Example:
    ```python
    with keras.SymbolicScope():
        ...  # in_symbolic_scope() is True here
    ```
    """

    def __enter__(self) -> SymbolicScope:
        self._outer = getattr(_STATE, "scope", None)
        _STATE.scope = self
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _STATE.scope = self._outer


def in_symbolic_scope() -> bool:
    """Whether a `SymbolicScope` is open on this thread."""
    return getattr(_STATE, "scope", None) is not None
