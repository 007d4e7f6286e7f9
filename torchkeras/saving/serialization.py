"""Objects <-> configs in Keras 3's schema, resolving names only through the registry allowlist.

A serialized object is `{"module", "class_name", "config", "registered_name"}` (plus `"build_config"`
and `"compile_config"` for layers and models), exactly as Keras 3 writes it. Reading a config never
imports anything by the module name written in it and never runs code from it: classes and
functions come from torchkeras's registered modeling objects, the user's registered objects and
`custom_objects` only. Initializers, activations, regularizers, constraints, losses, metrics,
optimizers and schedules are handed to their own module's `deserialize`.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import types
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from torchkeras import activations, constraints, initializers, losses, metrics, optimizers, regularizers
from torchkeras import config as tk_config
from torchkeras.initializers.initializer import Initializer
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.layer import Layer
from torchkeras.mixed_precision import DTypePolicy
from torchkeras.optimizers import schedules
from torchkeras.saving import build_budget
from torchkeras.utils.nest import flatten
from torchkeras.utils.registry import CustomObjectScope, get_registered_name, get_registered_object

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_CONFIG_DEPTH",
    "MAX_CONFIG_ITEMS",
    "check_config_limits",
    "check_layer_name",
    "compile_custom_objects",
    "compile_from_config",
    "deserialize_keras_object",
    "get_compile_config",
    "model_from_json",
    "parse_config_json",
    "scan_config_json",
    "serialize_keras_object",
]

MAX_CONFIG_BYTES = 64 * 2**20  # a config JSON larger than this is refused
MAX_CONFIG_DEPTH = 100  # and so is one nested deeper than this
MAX_CONFIG_ITEMS = 1_000_000  # or holding more values than this

# Keras modules whose objects are rebuilt by the matching torchkeras module (Keras writes both the
# public name and, for some optimizers, the backend implementation's module).
_ROUTES: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("keras.initializers", initializers.deserialize),
    ("keras.regularizers", regularizers.deserialize),
    ("keras.constraints", constraints.deserialize),
    ("keras.activations", activations.deserialize),
    ("keras.losses", losses.deserialize),
    ("keras.metrics", metrics.deserialize),
    ("keras.optimizers.schedules", schedules.deserialize),
    ("keras.optimizers", optimizers.deserialize),
    ("keras.src.optimizers.schedules", schedules.deserialize),
    ("keras.src.optimizers", optimizers.deserialize),
    ("keras.src.backend.torch.optimizers", optimizers.deserialize),
)
_NUMERIC_KINDS = "biufc"


# ------------------------------------------------------------------------------------ limits


def check_config_limits(config: Any, source: str = "config") -> None:
    """Raises `ValueError` when `config` nests deeper than `MAX_CONFIG_DEPTH` or is too large."""
    stack = [(config, 1)]
    items = 0
    while stack:
        value, depth = stack.pop()
        items += 1
        if depth > MAX_CONFIG_DEPTH:
            raise ValueError(
                f"{source} is nested deeper than {MAX_CONFIG_DEPTH} levels; refusing to load it."
            )
        if items > MAX_CONFIG_ITEMS:
            raise ValueError(f"{source} holds more than {MAX_CONFIG_ITEMS} values; refusing to load it.")
        if isinstance(value, Mapping):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend((v, depth + 1) for v in value)


_CHUNK = 1 << 20  # the scan reads the text in pieces of this many bytes (bounded memory)


def scan_config_json(text: bytes, source: str = "config") -> tuple[int, int]:
    """Counts the values and the nesting depth of a JSON text in one linear pass, without parsing.

    Escapes are dropped first (`\\\\` pairs, then escaped quotes, as a JSON reader pairs them left
    to right), so every quote left delimits a string. The text is then read in fixed-size pieces
    with numpy: outside strings, each container, comma and string start is counted (an object
    member counts once). Time and memory are linear in the text, whatever it holds, and the scan
    stops at the first piece over a limit.

    Returns:
        `(values, depth)`.

    Raises:
        ValueError: naming `source`, when either is over `MAX_CONFIG_ITEMS` / `MAX_CONFIG_DEPTH`.
    """
    text = text.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, b" \t\r\n")
    values, depth, deepest = 1, 0, 0
    in_string, last = 0, 0  # carried from one piece to the next
    for start in range(0, len(text), _CHUNK):
        end = min(start + _CHUNK, len(text))
        if in_string and text.find(b'"', start, end) < 0:
            continue  # the whole piece is inside one string
        piece = np.frombuffer(text, dtype=np.uint8, count=end - start, offset=start)
        quotes = (piece == ord('"')).view(np.uint8)
        parity = (
            np.cumsum(quotes, dtype=np.uint8) + in_string
        ) & 1  # 1 inside strings (with their opening quote)
        kept = piece[parity == quotes]  # outside strings, the opening quotes standing for the strings
        in_string = int(parity[-1])
        if not len(kept):
            continue
        opening = (kept == ord("[")) | (kept == ord("{"))
        closing = (kept == ord("]")) | (kept == ord("}"))
        follows_open = np.concatenate(([last in b"[{"], opening[:-1]))
        # each value but the root follows `[` or `,` (an object member: `{` or `,`), except in `[]`
        values += int(np.count_nonzero(kept == ord(","))) + int(np.count_nonzero(follows_open & ~closing))
        last = int(kept[-1])
        steps = np.cumsum(opening.astype(np.int32) - closing) + depth
        depth, deepest = int(steps[-1]), max(deepest, int(steps.max()))
        if values > MAX_CONFIG_ITEMS:
            raise ValueError(f"{source} holds more than {MAX_CONFIG_ITEMS} values; refusing to load it.")
        if deepest > MAX_CONFIG_DEPTH:
            raise ValueError(
                f"{source} is nested deeper than {MAX_CONFIG_DEPTH} levels; refusing to load it."
            )
    return values, deepest


def parse_config_json(text: str | bytes, source: str = "config", unique_keys: bool = False) -> Any:
    """Parses a config JSON, its size, value count and depth checked before `json.loads` runs.

    With `unique_keys=True`, an object that names a key twice is refused (instead of the last
    copy silently winning).
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if len(data) > MAX_CONFIG_BYTES:
        raise ValueError(
            f"{source} is {len(data)} bytes, over the limit of {MAX_CONFIG_BYTES}; refusing to load it."
        )
    scan_config_json(data, source)
    try:
        value = json.loads(
            text if isinstance(text, str) else data.decode("utf-8"),
            parse_constant=_refuse_constant,
            object_pairs_hook=_unique_object if unique_keys else None,
        )
    except UnicodeDecodeError as error:
        raise ValueError(f"{source} is not UTF-8 text: {error}") from None
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{source} is not valid JSON: {error}") from None
    check_config_limits(value, source)
    return value


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"the key {twice[:200]!r} appears twice in one object")
    return value


def _refuse_constant(name: str) -> float:
    if name in ("NaN", "Infinity", "-Infinity"):  # Python's json writes these for float configs
        return float(name.replace("Infinity", "inf"))
    raise ValueError(f"invalid JSON constant {name!r}")


_NAME_PATTERN = re.compile(r"[\x00-\x1f\x7f/\\]")


def check_layer_name(name: Any, source: str = "config") -> str:
    """Returns `name` if it is a safe layer name: a non-empty string with no path syntax
    (`/`, `\\`, `..`, a lone `.`) and no control characters; raises `ValueError` otherwise."""
    if not isinstance(name, str) or not name or len(name) > 1024:
        raise ValueError(f"{source}: a layer name must be a non-empty string. Received: {name!r}")
    if _NAME_PATTERN.search(name) or ".." in name or name == ".":
        raise ValueError(
            f"{source}: layer name {name!r} is not allowed (names may not contain '/', '\\', '..', "
            "control characters, or be '.')."
        )
    return name


# ------------------------------------------------------------------------------ serialize


def serialize_keras_object(obj: Any) -> Any:
    """Returns the config of `obj` in Keras 3's schema (plain values are returned as they are).

    Example:
    ```python
    serialize_keras_object(keras.layers.Dense(2))
    # {"module": "keras.layers", "class_name": "Dense", "config": {...}, "registered_name": None}
    ```
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, Mapping):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        values = {k: serialize_keras_object(getattr(obj, k)) for k in ("start", "stop", "step")}
        return {"class_name": "__slice__", "config": values}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, KerasTensor):
        return _serialize_keras_tensor(obj)
    if isinstance(obj, torch.dtype):
        return tk_config.standardize_dtype(obj)
    if isinstance(obj, torch.Tensor):
        value = obj.detach().cpu()
        return {
            "class_name": "__tensor__",
            "config": {"value": value.tolist(), "dtype": str(value.dtype)[6:]},
        }
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return obj.item()
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        raise ValueError(
            f"Cannot serialize {obj!r}: lambdas would have to be saved as code, and torchkeras never "
            "saves or loads code. Use a named function registered with "
            "`keras.saving.register_keras_serializable()`."
        )
    serialized = _serialize_object(obj)
    if isinstance(obj, Layer):
        build_config = obj.get_build_config()
        if build_config is not None:
            serialized["build_config"] = serialize_keras_object(build_config)
        compile_config = obj.get_compile_config() if hasattr(obj, "get_compile_config") else None
        if compile_config is not None:
            serialized["compile_config"] = compile_config
    return serialized


def _serialize_object(obj: Any) -> Any:
    for kind, serialize in (
        (optimizers.Optimizer, optimizers.serialize),
        (schedules.LearningRateSchedule, schedules.serialize),
        (Initializer, initializers.serialize),
        (regularizers.Regularizer, regularizers.serialize),
        (constraints.Constraint, constraints.serialize),
        (losses.Loss, losses.serialize),
        (metrics.Metric, metrics.serialize),
    ):
        if isinstance(obj, kind):
            return serialize(obj)
    if isinstance(obj, DTypePolicy):
        return {
            "module": "keras",
            "class_name": "DTypePolicy",
            "config": obj.get_config(),
            "registered_name": None,
        }
    if isinstance(obj, Layer):
        return _serialize_layer(obj)
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        return _serialize_function(obj)
    if hasattr(obj, "get_config"):
        cls = type(obj)
        return {
            "module": cls.__module__,
            "class_name": cls.__name__,
            "config": serialize_keras_object(obj.get_config()),
            "registered_name": get_registered_name(cls),
        }
    raise TypeError(f"Cannot serialize {obj!r} of type {type(obj).__name__}: it has no `get_config()`.")


def public_class(layer: Layer) -> type:
    """The class a layer is saved as (a model built as `MyModel(inputs, outputs)` saves as `MyModel`)."""
    cls = type(layer)
    return cls.__dict__.get("_functional_of", cls)


def _is_builtin(cls: type) -> bool:
    return cls.__module__.startswith("torchkeras.") and get_registered_object(cls.__name__) is cls


# Built-in classes Keras exports under another name (the config must use the exported one).
_KERAS_NAMES = {"GroupedQueryAttention": "GroupQueryAttention"}


def _serialize_layer(layer: Layer) -> dict[str, Any]:
    cls = public_class(layer)
    config = serialize_keras_object(layer.get_config())
    if _is_builtin(cls) and cls.__name__ == "Functional":
        module, registered = "keras.src.models.functional", "Functional"
    elif _is_builtin(cls) and cls.__name__ in ("Sequential", "Model"):
        module, registered = "keras", None
    elif _is_builtin(cls):  # an application's own layer names the Keras module that defines it
        module, registered = getattr(cls, "_keras_module", "keras.layers"), None
    else:
        module, registered = cls.__module__, get_registered_name(cls)
        return {"module": module, "class_name": cls.__name__, "config": config, "registered_name": registered}
    class_name = _KERAS_NAMES.get(cls.__name__, cls.__name__)
    return {"module": module, "class_name": class_name, "config": config, "registered_name": registered}


def _serialize_function(fn: Any) -> dict[str, Any]:
    name = getattr(fn, "__name__", None)
    for module, table in (
        ("keras.activations", activations.ALL_OBJECTS_DICT),
        ("keras.losses", losses.ALL_OBJECTS_DICT),
        ("keras.metrics", metrics.FUNCTIONS_DICT),
    ):
        if name is not None and table.get(name) is fn:
            return {"module": module, "class_name": "function", "config": name, "registered_name": name}
    registered = get_registered_name(fn)
    return {
        "module": fn.__module__,
        "class_name": "function",
        "config": registered,
        "registered_name": registered,
    }


def _serialize_keras_tensor(tensor: KerasTensor) -> dict[str, Any]:
    history = None
    if tensor._keras_history is not None:
        node, index = tensor._keras_history
        history = [node.layer.name, node.layer._inbound_nodes.index(node), index]
    config = {"shape": list(tensor.shape), "dtype": tensor.dtype, "keras_history": history}
    return {"class_name": "__keras_tensor__", "config": config}


# ---------------------------------------------------------------------------- deserialize


def deserialize_keras_object(
    config: Any, custom_objects: Mapping[str, Any] | None = None, safe_mode: bool = True, **kwargs: Any
) -> Any:
    """Rebuilds an object from `serialize_keras_object`'s output (or Keras's).

    Names resolve only through `custom_objects`, registered objects and torchkeras's built-ins;
    nothing named in the config is ever imported, and serialized lambdas (bytecode) are refused
    whatever `safe_mode` says.

    Args:
        config: the config (a dict in Keras's schema, a plain value, or a list / dict of them).
        custom_objects: optional dict mapping names to user classes and functions.
        safe_mode: accepted for Keras compatibility; torchkeras is always safe.
        **kwargs: `module_objects` (an extra name -> object table) is accepted, as in Keras.

    Raises:
        ValueError: for an unknown name, code, an unsafe value, or a config over the limits.
    """
    check_config_limits(config)
    import_builtin_layers()
    extra = dict(kwargs.pop("module_objects", None) or {})
    kwargs.pop("printable_module_name", None)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    tables = {**extra, **dict(custom_objects or {})}
    return _deserialize(config, tables)


def _deserialize(config: Any, custom_objects: Mapping[str, Any]) -> Any:
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, (list, tuple)):
        return [_deserialize(item, custom_objects) for item in config]
    if not isinstance(config, Mapping):
        raise ValueError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {key: _deserialize(value, custom_objects) for key, value in config.items()}
    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    if not isinstance(class_name, str):
        raise ValueError(f"`class_name` must be a string. Received: {class_name!r}")
    special = _SPECIAL_VALUES.get(class_name)
    if special is not None:
        try:
            return special(inner, custom_objects)
        except (TypeError, KeyError, AttributeError) as error:
            raise ValueError(f"Malformed {class_name} value in config: {error}") from None
    if class_name == "function":
        return _resolve_function(config, custom_objects)
    module = config.get("module")
    registered = config.get("registered_name")
    if isinstance(module, str):
        for prefix, deserialize in _ROUTES:
            if module == prefix or module.startswith(prefix + "."):
                return deserialize(dict(config), custom_objects or None)
    if class_name == "DTypePolicy" and not _user_object(class_name, registered, custom_objects):
        return DTypePolicy.from_config(dict(inner))
    cls = _resolve_class(class_name, registered, module, custom_objects)
    if not isinstance(inner, Mapping):
        raise ValueError(f"The config of {class_name!r} must be a dict. Received: {inner!r}")
    return instantiate(cls, dict(inner), config, custom_objects)


def instantiate(
    cls: type, inner: dict[str, Any], config: Mapping[str, Any], custom_objects: Mapping[str, Any]
) -> Any:
    """`cls.from_config(inner)` inside a custom-object scope, then its build and compile configs."""
    if isinstance(cls, type) and issubclass(cls, Layer):
        if "name" in inner:
            check_layer_name(inner["name"], f"config of {config.get('class_name')!r}")
        if cls.__module__.startswith("torchkeras."):
            inner = _without_unset_extras(cls, inner)
    with CustomObjectScope(custom_objects):
        from_config = cls.from_config
        if "custom_objects" in inspect.signature(from_config).parameters:
            instance = from_config(inner, custom_objects=dict(custom_objects) or None)
        else:
            instance = from_config(inner)
        build_config = config.get("build_config")
        if build_config and isinstance(instance, Layer) and not instance.built:
            instance.build_from_config(build_config)
            instance.built = True
            if instance.get_build_config() is None and isinstance(build_config, Mapping):
                instance._build_shapes = dict(build_config)  # kept for the next save
        compile_config = config.get("compile_config")
        if compile_config and hasattr(instance, "compile_from_config"):
            instance.compile_from_config(compile_config)
    return instance


def _without_unset_extras(cls: type, inner: dict[str, Any]) -> dict[str, Any]:
    """Drops keys a built-in layer does not take when Keras wrote them unset (`None`), such as
    Keras 3.15's `"quantization_config": null`; any other unknown key still fails loudly."""
    accepted = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None:
            accepted.update(inspect.signature(init).parameters)
    accepted |= {"input_shape", "batch_input_shape", "batch_size", "input_dim", "weights"}
    return {key: value for key, value in inner.items() if key in accepted or value is not None}


def _user_object(class_name: str, registered: Any, custom_objects: Mapping[str, Any]) -> Any:
    for name in (registered, class_name):
        if isinstance(name, str) and name:
            obj = get_registered_object(name, custom_objects, include_builtins=False)
            if obj is not None:
                return obj
    return None


def _resolve_class(class_name: str, registered: Any, module: Any, custom_objects: Mapping[str, Any]) -> type:
    cls = _user_object(class_name, registered, custom_objects)
    if cls is None:
        cls = get_registered_object(class_name)
    if isinstance(cls, type) and hasattr(cls, "from_config"):
        return cls
    where = f" (module {module!r})" if module else ""
    if cls is not None:
        raise ValueError(f"{class_name!r}{where} is not a class that can be rebuilt from a config.")
    raise ValueError(
        f"Unknown class {class_name!r}{where}: it is not a torchkeras built-in nor a registered object. "
        "If it is your own class or function, pass it in `custom_objects={...}` or register it with "
        "`@keras.saving.register_keras_serializable()`."
    )


def _resolve_function(config: Mapping[str, Any], custom_objects: Mapping[str, Any]) -> Callable[..., Any]:
    name = config.get("config")
    if not isinstance(name, str):
        raise ValueError(f"A function config must name the function. Received: {config!r}")
    found = _user_object(name, config.get("registered_name"), custom_objects)
    if found is None and ">" not in name:  # Keras <= 3.6 saved custom functions by bare name
        found = next((v for k, v in custom_objects.items() if k.endswith(f">{name}")), None)
    module = config.get("module")
    tables = {
        "keras.activations": (activations.ALL_OBJECTS_DICT,),
        "keras.losses": (losses.ALL_OBJECTS_DICT,),
        "keras.metrics": (metrics.FUNCTIONS_DICT,),
        "builtins": (activations.ALL_OBJECTS_DICT, losses.ALL_OBJECTS_DICT, metrics.FUNCTIONS_DICT),
    }
    for table in tables.get(module, ()) if found is None else ():
        candidate = table.get(name)
        if callable(candidate) and not isinstance(candidate, type):
            found = candidate
            break
    if found is None or not callable(found):
        raise ValueError(
            f"Unknown function {name!r} (module {module!r}): only torchkeras's built-in activations, "
            "losses and metrics and registered functions can be loaded. Pass it in "
            "`custom_objects={...}` or register it with `@keras.saving.register_keras_serializable()`."
        )
    return found


def _numeric_dtype(name: Any) -> np.dtype:
    try:
        dtype = np.dtype(tk_config.standardize_dtype(name)) if name != "bfloat16" else None
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype.kind not in _NUMERIC_KINDS:
        raise ValueError(f"Unsupported array dtype in config: {name!r}")
    return dtype


def _tensor_value(inner: Any, custom_objects: Mapping[str, Any]) -> torch.Tensor:
    dtype = inner.get("dtype") if isinstance(inner, Mapping) else None
    if dtype == "bfloat16":
        return torch.tensor(inner["value"], dtype=torch.bfloat16)
    return torch.as_tensor(np.asarray(inner["value"], dtype=_numeric_dtype(dtype)))


def _numpy_value(inner: Any, custom_objects: Mapping[str, Any]) -> np.ndarray:
    return np.asarray(inner["value"], dtype=_numeric_dtype(inner.get("dtype")))


def _refuse_code(inner: Any, custom_objects: Mapping[str, Any]) -> Any:
    raise ValueError(
        "The config holds serialized Python code (a lambda). torchkeras never loads code, whatever "
        "`safe_mode` says: rewrite it as a named function registered with "
        "`@keras.saving.register_keras_serializable()`."
    )


def _refuse_typespec(inner: Any, custom_objects: Mapping[str, Any]) -> Any:
    raise ValueError("TensorFlow TypeSpec configs are not supported by torchkeras.")


def _keras_tensor(inner: Any, custom_objects: Mapping[str, Any]) -> KerasTensor:
    tensor = KerasTensor(tuple(inner["shape"]), dtype=inner.get("dtype"))
    tensor._pre_serialization_keras_history = inner.get("keras_history")
    return tensor


def _slice(inner: Any, custom_objects: Mapping[str, Any]) -> slice:
    parts = [_deserialize(inner.get(k), custom_objects) for k in ("start", "stop", "step")]
    if not all(p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts):
        raise ValueError(f"A slice may hold only integers or None. Received: {parts}")
    return slice(*parts)


_SPECIAL_VALUES: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
    "__keras_tensor__": _keras_tensor,
    "__tensor__": _tensor_value,
    "__numpy__": _numpy_value,
    "__bytes__": lambda inner, _: str(inner["value"]).encode("utf-8"),
    "__ellipsis__": lambda inner, _: Ellipsis,
    "__slice__": _slice,
    "__lambda__": _refuse_code,
    "__typespec__": _refuse_typespec,
}


# ---------------------------------------------------------------------- built-in discovery

_LAYERS_IMPORTED = False


def import_builtin_layers() -> None:
    """Imports every layer family of `torchkeras.layers` once, so all built-ins are registered.

    Only torchkeras's own sub-packages are imported, found by listing the package (never from a
    name read from a file).
    """
    global _LAYERS_IMPORTED
    if _LAYERS_IMPORTED:
        return
    import torchkeras.layers as layers_package

    for module in pkgutil.iter_modules(layers_package.__path__):
        if module.ispkg:
            importlib.import_module(f"{layers_package.__name__}.{module.name}")
    _LAYERS_IMPORTED = True


# ------------------------------------------------------------------------- compile configs


def get_compile_config(model: Any) -> dict[str, Any] | None:
    """The arguments `compile()` received, serialized (the optimizer as its current config)."""
    raw = getattr(model, "_compile_config", None)
    if not getattr(model, "compiled", False) or raw is None:
        return None
    raw = dict(raw)
    optimizer = model.optimizer
    if isinstance(optimizer, optimizers.Optimizer):
        raw["optimizer"] = optimizer
    elif optimizer is not None:
        warnings.warn(
            f"The model's optimizer is a {type(optimizer).__name__} (not a Keras optimizer): it has no "
            "config, so the saved model will load uncompiled.",
            stacklevel=3,
        )
        return None
    return serialize_keras_object(raw)


def compile_custom_objects(model: Any) -> dict[str, Any]:
    """The user's own functions and classes among what `compile()` received (losses, metrics, the
    optimizer's class), keyed by the names `get_compile_config` writes for them: passed as
    `custom_objects`, they let that config compile another model without being registered."""
    raw = getattr(model, "_compile_config", None) or {}
    leaves = [raw.get(key) for key in ("loss", "metrics", "weighted_metrics")]
    leaves = [*flatten(leaves), getattr(model, "optimizer", None)]
    found: dict[str, Any] = {}
    for leaf in leaves:
        if leaf is None or isinstance(leaf, (str, bool, int, float)):
            continue
        obj = leaf if isinstance(leaf, types.FunctionType) else type(leaf)
        if obj.__module__.split(".")[0] in ("torchkeras", "torch", "builtins"):
            continue  # built-ins resolve by name
        found[get_registered_name(obj)] = obj
        found.setdefault(obj.__name__, obj)
    return found


def compile_from_config(
    model: Any, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> None:
    """Compiles `model` with the arguments saved by `get_compile_config`; the user's own losses,
    metrics and optimizer resolve through `custom_objects` or the registry."""
    if not isinstance(config, Mapping):
        raise ValueError(f"A compile config must be a dict. Received: {config!r}")
    arguments = _deserialize(dict(config), dict(custom_objects or {}))
    allowed = set(inspect.signature(model.compile).parameters)
    unknown = set(arguments) - allowed
    if unknown:
        raise ValueError(f"Unknown compile arguments in the saved config: {sorted(unknown)}")
    model.compile(**arguments)


def model_from_json(json_string: str, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuilds a model (without weights) from `model.to_json()` output.

    The sizes it declares are capped (`build_budget`): at most `MAX_ELEMENTS_WITHOUT_WEIGHTS`
    elements of tensors are built, checked before they are allocated.
    """
    config = parse_config_json(json_string, "JSON config")
    build_budget.check_declared_sizes(config, "JSON config")
    with build_budget.bounded_build(build_budget.MAX_ELEMENTS_WITHOUT_WEIGHTS, "JSON config"):
        return deserialize_keras_object(config, custom_objects)
