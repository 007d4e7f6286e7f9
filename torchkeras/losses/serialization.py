"""Keras's config schema for losses and metrics: object <-> `{"module", "class_name", "config", ...}`.

Losses and metrics share class names (`MeanSquaredError` is both), so each package resolves names
through its own table first; user objects come from `custom_objects`, active custom-object scopes
and `register_keras_serializable`. Nothing is ever imported by module name.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

from torchkeras.utils.registry import get_registered_name, get_registered_object, lookup
from torchkeras.utils.validation import invalid

__all__ = ["deserialize_object", "resolve_name", "serialize_object"]


def serialize_object(obj: Any, module: str | None = None, table: Mapping[str, Any] | None = None) -> Any:
    """Returns Keras's config dict for a function or an object with `get_config`.

    Args:
        obj: the object; `None` and strings are returned unchanged.
        module: the Keras module of the built-ins in `table` (e.g. `"keras.losses"`).
        table: name -> built-in object; classes found there are written as built-ins.
    """
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        if obj.__name__ == "<lambda>":
            raise invalid("fn", "must be a named function to be serialized (lambdas cannot be saved)", obj)
        return {
            "module": "builtins",
            "class_name": "function",
            "config": get_registered_name(obj),
            "registered_name": "function",
        }
    if not hasattr(obj, "get_config"):
        raise invalid("obj", "must be a function or an object with `get_config` to be serialized", obj)
    cls = type(obj)
    builtin = table is not None and table.get(cls.__name__) is cls
    return {
        "module": module if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": obj.get_config(),
        "registered_name": None if builtin else get_registered_name(cls),
    }


def resolve_name(
    name: str, table: Mapping[str, Any], kind: str, custom_objects: Mapping[str, Any] | None = None
) -> Any:
    """Returns the object called `name`: user objects first, then `table` (never another
    package's built-ins). Raises `ValueError` with close matches when nothing matches."""
    obj = get_registered_object(name, custom_objects, table)
    foreign = str(getattr(obj, "__module__", "")).startswith("torchkeras.") and not any(
        obj is value for value in table.values()
    )
    if obj is None or foreign:
        return lookup(table, name, kind)
    return obj


def deserialize_object(
    config: Any,
    table: Mapping[str, Any],
    kind: str,
    custom_objects: Mapping[str, Any] | None = None,
    functions: Mapping[str, Any] | None = None,
) -> Any:
    """Rebuilds an object from a name or a Keras config dict (see `serialize_object`).

    A name of a class gives a default instance; a name of a function gives the function.
    Function configs (`"class_name": "function"`) resolve through `functions` (default: `table`).
    """
    if config is None:
        return None
    if isinstance(config, str):
        obj = resolve_name(config, table, kind, custom_objects)
        return obj() if isinstance(obj, type) else obj
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise invalid(kind, "must be a name or a config dict with a 'class_name'", config)
    class_name = config["class_name"]
    if class_name == "function":
        return resolve_name(config["config"], table if functions is None else functions, kind, custom_objects)
    if class_name == "__lambda__":
        raise invalid(kind, "must not be a serialized lambda (it would run stored bytecode)", config)
    registered = config.get("registered_name")
    obj = None
    if registered and registered != class_name:
        obj = get_registered_object(registered, custom_objects)
    obj = obj or resolve_name(class_name, table, kind, custom_objects)
    if isinstance(obj, type):
        inner = dict(config.get("config") or {})
        return obj.from_config(inner) if hasattr(obj, "from_config") else obj(**inner)
    return obj
