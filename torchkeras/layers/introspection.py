"""What a layer class accepts: its `call` signature and its constructor arguments."""

from __future__ import annotations

import inspect
import json
from typing import Any

__all__ = ["capture_init_arguments", "inspect_call", "is_plain"]


def inspect_call(cls: type) -> tuple[bool, bool, tuple[str, ...]]:
    """(accepts `training`, accepts `mask`, positional parameter names) of `cls.call`."""
    parameters = inspect.signature(cls.call).parameters
    names = tuple(
        name
        for name, p in parameters.items()
        if name != "self" and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )
    return "training" in parameters, "mask" in parameters, names


def is_plain(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def capture_init_arguments(cls: type, args: tuple, kwargs: dict) -> dict | None:
    """The constructor arguments, when all are plain JSON values (Keras's automatic config)."""
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except TypeError:
        return None
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(arguments)))  # self
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if p.kind == p.VAR_KEYWORD and name in arguments:
            arguments.update(arguments.pop(name))
        elif p.kind == p.VAR_POSITIONAL and name in arguments:
            return None
    return arguments if is_plain(arguments) else None
