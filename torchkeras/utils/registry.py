"""Name -> object lookup: the allowlist every string name and every saved config goes through."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from torchkeras.utils.validation import did_you_mean

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "lookup",
    "register_builtin",
    "register_keras_serializable",
    "to_snake_case",
]

T = TypeVar("T")

# Built-in modeling objects, by class/function name (e.g. "Dense", "relu").
_BUILTINS: dict[str, Any] = {}
# User objects registered with `register_keras_serializable`, by "package>name".
_CUSTOM: dict[str, Any] = {}
# Stack of `custom_objects` dicts from active `CustomObjectScope`s.
_SCOPES: list[dict[str, Any]] = []


def to_snake_case(name: str) -> str:
    """`"BatchNormalization"` -> `"batch_normalization"`."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def register_builtin(obj: T, name: str | None = None) -> T:
    """Registers a torchkeras class or function under its name (or `name`). Returns `obj`."""
    key = name or obj.__name__
    if key in _BUILTINS and _BUILTINS[key] is not obj:
        raise ValueError(f"Built-in name {key!r} is already registered to {_BUILTINS[key]!r}.")
    _BUILTINS[key] = obj
    return obj


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable[[T], T]:
    """Decorator registering a user class or function so saved models can refer to it by name.

    Args:
        package: namespace of the object; the registered name is `"package>name"`.
        name: name to register under; defaults to the object's `__name__`.
    """

    def decorator(obj: T) -> T:
        key = f"{package}>{name or obj.__name__}"
        if "get_config" not in dir(obj) and not callable(obj):
            raise ValueError(f"Cannot register {obj!r}: it must be a class with `get_config` or a function.")
        _CUSTOM[key] = obj
        with contextlib.suppress(AttributeError, TypeError):  # e.g. builtins refuse attributes
            obj._registered_name = key
        return obj

    return decorator


def get_custom_objects() -> dict[str, Any]:
    """Returns the live dict of user-registered objects (editable, as in Keras)."""
    return _CUSTOM


def get_registered_name(obj: Any) -> str:
    """Returns the name `obj` is registered under (`"package>name"` for user objects)."""
    for key, value in _CUSTOM.items():
        if value is obj:
            return key
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(
    name: str,
    custom_objects: Mapping[str, Any] | None = None,
    module_objects: Mapping[str, Any] | None = None,
    include_builtins: bool = True,
) -> Any | None:
    """Resolves `name` from, in order: `custom_objects`, active scopes, registered user objects,
    `module_objects`, built-ins. Returns `None` when nothing matches; never imports anything."""
    tables = [custom_objects or {}, *reversed(_SCOPES), _CUSTOM, module_objects or {}]
    for table in tables + ([_BUILTINS] if include_builtins else []):
        if name in table:
            return table[name]
    return None


def lookup(table: Mapping[str, T], name: str, argument: str, owner: str | None = None) -> T:
    """Returns `table[name]` or raises `ValueError` naming `argument` with close suggestions."""
    if name in table:
        return table[name]
    lowered = name.lower() if isinstance(name, str) else name
    if lowered in table:
        return table[lowered]
    where = f"{owner}: " if owner else ""
    raise ValueError(
        f"{where}Unknown {argument}: {name!r}.{did_you_mean(name, table)} Known values: {sorted(table)[:40]}"
    )


class CustomObjectScope:
    """Context manager making `custom_objects` resolvable by name (e.g. while loading a model).

    Example:
    ```python
    with CustomObjectScope({"MyLayer": MyLayer}):
        model = load_model("model.keras")
    ```
    """

    def __init__(self, custom_objects: Mapping[str, Any] | None = None):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self) -> CustomObjectScope:
        _SCOPES.append(self.custom_objects)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _SCOPES.pop()


custom_object_scope = CustomObjectScope
