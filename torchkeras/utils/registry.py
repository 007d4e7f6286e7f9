"""Name -> object lookup: the allowlist every string name and every saved config goes through."""

from __future__ import annotations

import contextlib
import importlib
import re
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from torchkeras.utils.validation import did_you_mean, invalid

__all__ = [
    "CustomObjectScope",
    "ObjectTable",
    "class_names",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "lookup",
    "register_builtin",
    "register_deferred_builtins",
    "register_keras_serializable",
    "serialize_object",
    "to_snake_case",
]

T = TypeVar("T")

# Built-in modeling objects, by class/function name (e.g. "Dense", "relu").
_BUILTINS: dict[str, Any] = {}
# User objects registered with `register_keras_serializable`, by "package>name".
_CUSTOM: dict[str, Any] = {}
# Built-in names whose defining module loads on first use: name -> that module (imported on lookup).
_DEFERRED: dict[str, str] = {}
# Stack of `custom_objects` dicts from active `CustomObjectScope`s.
_SCOPES: list[dict[str, Any]] = []


def to_snake_case(name: str) -> str:
    """`"BatchNormalization"` -> `"batch_normalization"`."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def class_names(classes: Iterable[type]) -> dict[str, Any]:
    """Each class under its name, then under its snake_case name (`"MaxNorm"`, `"max_norm"`)."""
    classes = tuple(classes)
    return {**{cls.__name__: cls for cls in classes}, **{to_snake_case(cls.__name__): cls for cls in classes}}


def register_builtin(obj: T, name: str | None = None) -> T:
    """Registers a torchkeras class or function under its name (or `name`). Returns `obj`."""
    key = name or obj.__name__
    if key in _BUILTINS and _BUILTINS[key] is not obj:
        raise ValueError(f"Built-in name {key!r} is already registered to {_BUILTINS[key]!r}.")
    _BUILTINS[key] = obj
    return obj


def register_deferred_builtins(module: str, names: Iterable[str]) -> None:
    """Declares built-in `names` that `module` registers when imported; a lookup imports it."""
    for name in names:
        _DEFERRED[name] = module


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
    `module_objects`, built-ins. Returns `None` when nothing matches. The only import it may do is
    of a torchkeras namespace declared with `register_deferred_builtins` for `name`."""
    tables = [custom_objects or {}, *reversed(_SCOPES), _CUSTOM, module_objects or {}]
    for table in tables + ([_BUILTINS] if include_builtins else []):
        if name in table:
            return table[name]
    if include_builtins and isinstance(name, str) and name in _DEFERRED:
        importlib.import_module(_DEFERRED[name])
        return _BUILTINS.get(name)
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


def serialize_object(obj: Any, table: ObjectTable | None = None) -> Any:
    """Returns Keras's config dict for a named function or an object with `get_config`.

    `None` and strings come back unchanged. A class of `table`'s built-ins is written under
    `table.module` with no `registered_name`, any other under its own module and registered name.
    """
    argument = "fn" if table is None else table.argument
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        if obj.__name__ == "<lambda>":
            raise invalid(
                argument, "must be a named function to be serialized (lambdas cannot be saved)", obj
            )
        name = get_registered_name(obj)
        return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
    if not hasattr(obj, "get_config"):
        raise invalid(argument, "must be a function or an object with `get_config` to be serialized", obj)
    cls = type(obj)
    builtin = table is not None and table.is_builtin(cls)
    return {
        "module": table.module if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": obj.get_config(),
        "registered_name": None if builtin else get_registered_name(cls),
    }


class ObjectTable:
    """One package's built-in names, and its half of Keras's config schema.

    Each package (`activations`, `losses`, `optimizers`, ...) makes one and keeps its own
    `get` / `serialize` / `deserialize` thin. Names resolve through `custom_objects`, active
    scopes, registered user objects, then `objects`; never through another package's built-ins,
    so `"identity"` in `initializers` is the initializer, not the layer.

    Args:
        objects: name -> built-in object (the package's `ALL_OBJECTS_DICT`).
        module: the Keras module its built-ins are saved under, e.g. `"keras.losses"`.
        argument: what its objects are called in errors, e.g. `"loss"`.
        functions: name -> function, for `{"class_name": "function"}` configs (default: `objects`).
        case_insensitive: a name that is a built-in's up to case is that built-in (`"ADAM"`).
        instantiate_names: whether a name of a class gives a default instance.
        any_builtin_class: whether class configs may name other packages' built-ins too
            (an activation may be a layer such as `ReLU`).
    """

    def __init__(
        self,
        objects: Mapping[str, Any],
        module: str,
        argument: str,
        functions: Mapping[str, Any] | None = None,
        case_insensitive: bool = False,
        instantiate_names: bool = True,
        any_builtin_class: bool = False,
    ):
        self.objects = objects
        self.module = module
        self.argument = argument
        self.functions = objects if functions is None else functions
        self.case_insensitive = case_insensitive
        self.instantiate_names = instantiate_names
        self.any_builtin_class = any_builtin_class

    def is_builtin(self, cls: type) -> bool:
        """Whether `cls` is one of this table's built-ins (found under its own name)."""
        name = cls.__name__
        return self.objects.get(name.lower() if self.case_insensitive else name) is cls

    def resolve(
        self,
        names: Sequence[str | None],
        custom_objects: Mapping[str, Any] | None = None,
        table: Mapping[str, Any] | None = None,
        any_builtin: bool = False,
    ) -> Any:
        """Returns the object called by the first of `names` found (empty names are skipped).

        Looks in user objects, then `table` (default: `objects`); other packages' built-ins count
        only with `any_builtin`. Raises `ValueError` naming the last of `names`, with close matches.
        """
        table = self.objects if table is None else table
        for name in names:
            if not name:
                continue
            if self.case_insensitive and isinstance(name, str) and name not in table:
                name = name.lower() if name.lower() in table else name
            obj = get_registered_object(name, custom_objects, table)
            if callable(obj) and (any_builtin or not _foreign(obj, table)):
                return obj
        return lookup(table, names[-1], self.argument)

    def serialize(self, obj: Any) -> Any:
        """Returns Keras's config dict for `obj` (see `serialize_object`)."""
        return serialize_object(obj, self)

    def deserialize(self, config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
        """Returns the object a name or a Keras config dict describes; `None` gives `None`.

        Classes are built with `from_config` inside a `CustomObjectScope(custom_objects)`, so the
        objects nested in their configs resolve the same way.
        """
        if config is None:
            return None
        if isinstance(config, str):
            obj = self.resolve((config,), custom_objects)
            return _build(obj, {}, custom_objects) if self.instantiate_names else obj
        if not isinstance(config, Mapping) or "class_name" not in config:
            raise invalid(self.argument, "must be a name or a config dict with a 'class_name'", config)
        class_name = config["class_name"]
        if class_name == "function":
            return self.resolve((config["config"],), custom_objects, self.functions)
        if class_name == "__lambda__":
            raise invalid(
                self.argument, "must not be a serialized lambda (it would run stored bytecode)", config
            )
        names = (config.get("registered_name"), class_name)
        obj = self.resolve(names, custom_objects, any_builtin=self.any_builtin_class)
        return _build(obj, config.get("config") or {}, custom_objects)

    def get(self, identifier: Any, expected: str) -> Any:
        """`None` gives `None`; names and config dicts are deserialized; a class gives a default
        instance; other callables come back unchanged. Anything else raises `ValueError`, saying
        what was `expected` (e.g. "must be a name, a config dict, a `Loss`, a callable or None")."""
        if identifier is None:
            return None
        obj = self.deserialize(identifier) if isinstance(identifier, (str, Mapping)) else identifier
        if isinstance(obj, type):
            obj = obj()
        if callable(obj):
            return obj
        raise invalid(self.argument, expected, identifier)


def _foreign(obj: Any, table: Mapping[str, Any]) -> bool:
    """Whether `obj` is another package's torchkeras built-in (not a user object, not in `table`)."""
    module = str(getattr(obj, "__module__", ""))
    return module.startswith("torchkeras.") and not any(obj is value for value in table.values())


def _build(obj: Any, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None) -> Any:
    """A class becomes an instance made from `config`; anything else comes back unchanged."""
    if not isinstance(obj, type):
        return obj
    with CustomObjectScope(custom_objects):
        return obj.from_config(dict(config)) if hasattr(obj, "from_config") else obj(**config)
