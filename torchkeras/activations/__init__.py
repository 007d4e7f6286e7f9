"""Activation functions, and `get` / `serialize` / `deserialize` to find them by name.

Activations live in their own table (`ALL_OBJECTS_DICT`, Keras's name) so that a string such as
`"relu"` never resolves to another module's object; they are also registered as built-ins under
their snake_case names, which no class name can collide with.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any

from torchkeras.activations.activations import (
    celu,
    elu,
    exponential,
    gelu,
    glu,
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    leaky_relu,
    linear,
    log_sigmoid,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_shrink,
    softmax,
    softplus,
    softsign,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    swish,
    tanh,
    tanh_shrink,
    threshold,
)
from torchkeras.utils.registry import get_registered_name, get_registered_object, lookup, register_builtin
from torchkeras.utils.validation import invalid

__all__ = [
    "celu",
    "deserialize",
    "elu",
    "exponential",
    "gelu",
    "get",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]

_FUNCTIONS = (
    celu, elu, exponential, gelu, glu, hard_shrink, hard_sigmoid, hard_silu, hard_tanh, leaky_relu,
    linear, log_sigmoid, log_softmax, mish, relu, relu6, selu, sigmoid, silu, soft_shrink, softmax,
    softplus, softsign, sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh, tanh_shrink, threshold,
)  # fmt: skip

ALL_OBJECTS_DICT: dict[str, Callable[..., Any]] = {fn.__name__: fn for fn in _FUNCTIONS}
ALL_OBJECTS_DICT.update({"swish": silu, "hard_swish": hard_silu})
for _name, _fn in ALL_OBJECTS_DICT.items():
    register_builtin(_fn, _name)


def serialize(activation: Callable[..., Any]) -> str | dict[str, Any]:
    """Returns a built-in activation's name (`"relu"`; aliases give the canonical `"silu"`), or a
    Keras config dict for a named user function or an object with `get_config`."""
    name = getattr(activation, "__name__", None)
    if name is not None and ALL_OBJECTS_DICT.get(name) is activation:
        return name
    if isinstance(activation, types.FunctionType) and name != "<lambda>":
        return {
            "module": activation.__module__,
            "class_name": "function",
            "config": get_registered_name(activation),
            "registered_name": "function",
        }
    if hasattr(activation, "get_config"):
        cls = type(activation)
        return {
            "module": cls.__module__,
            "class_name": cls.__name__,
            "config": activation.get_config(),
            "registered_name": get_registered_name(cls),
        }
    raise invalid(
        "activation",
        "must be a built-in activation, a named function or an object with `get_config` to be serialized "
        "(lambdas cannot be saved safely)",
        activation,
    )


def deserialize(config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Returns the activation named by `config`: a name (`"relu"`) or a Keras config dict.

    Names resolve through `custom_objects`, registered user objects, then the built-in table.
    """
    if isinstance(config, str):
        return _resolve(config, custom_objects)
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise invalid("activation", "must be a name or a config dict with a 'class_name'", config)
    class_name = config["class_name"]
    if class_name == "function":
        return _resolve(config["config"], custom_objects)
    if class_name == "__lambda__":
        raise invalid("activation", "must not be a serialized lambda (it would run stored bytecode)", config)
    obj = get_registered_object(config.get("registered_name") or class_name, custom_objects, ALL_OBJECTS_DICT)
    obj = obj or _resolve(class_name, custom_objects)
    if isinstance(obj, type):
        inner = config.get("config") or {}
        return obj.from_config(inner) if hasattr(obj, "from_config") else obj(**inner)
    return obj


def get(identifier: str | Mapping[str, Any] | Callable[..., Any] | None) -> Callable[..., Any]:
    """Returns an activation function from a name, a config dict, or a callable; `None` gives `linear`.

    Example:
    ```python
    fn = torchkeras.activations.get("relu")
    ```
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, Mapping)):
        identifier = deserialize(identifier)
    if callable(identifier):
        return identifier
    raise invalid("activation", "must be a name, a config dict, a callable or None", identifier)


def _resolve(name: str, custom_objects: Mapping[str, Any] | None) -> Any:
    """Looks `name` up in user objects, then this module's table (never other modules' built-ins)."""
    obj = get_registered_object(name, custom_objects, ALL_OBJECTS_DICT)
    foreign = str(getattr(obj, "__module__", "")).startswith("torchkeras.") and not any(
        obj is fn for fn in ALL_OBJECTS_DICT.values()
    )
    if obj is None or foreign or not callable(obj):
        return lookup(ALL_OBJECTS_DICT, name, "activation")
    return obj
