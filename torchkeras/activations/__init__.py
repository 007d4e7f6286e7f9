"""Activation functions, and `get` / `serialize` / `deserialize` to find them by name.

Activations live in their own table (`ALL_OBJECTS_DICT`, Keras's name) so that a string such as
`"relu"` never resolves to another module's object; they are also registered as built-ins under
their snake_case names, which no class name can collide with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from torchkeras.activations import activations
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
from torchkeras.utils.registry import ObjectTable, register_builtin
from torchkeras.utils.validation import invalid

__all__ = [*activations.__all__, "deserialize", "get", "serialize"]

_FUNCTIONS = (
    celu, elu, exponential, gelu, glu, hard_shrink, hard_sigmoid, hard_silu, hard_tanh, leaky_relu,
    linear, log_sigmoid, log_softmax, mish, relu, relu6, selu, sigmoid, silu, soft_shrink, softmax,
    softplus, softsign, sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh, tanh_shrink, threshold,
)  # fmt: skip

ALL_OBJECTS_DICT: dict[str, Callable[..., Any]] = {fn.__name__: fn for fn in _FUNCTIONS}
ALL_OBJECTS_DICT.update({"swish": swish, "hard_swish": hard_swish})
for _name, _fn in ALL_OBJECTS_DICT.items():
    register_builtin(_fn, _name)


_TABLE = ObjectTable(
    ALL_OBJECTS_DICT, "keras.activations", "activation", instantiate_names=False, any_builtin_class=True
)


def serialize(activation: Callable[..., Any]) -> str | dict[str, Any]:
    """Returns a built-in activation's name (`"relu"`; aliases give the canonical `"silu"`), or
    Keras's config dict for a named user function or an object with `get_config`."""
    name = getattr(activation, "__name__", None)
    if name is not None and ALL_OBJECTS_DICT.get(name) is activation:
        return name
    return _TABLE.serialize(activation)


def deserialize(config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Returns the activation named by `config`: a name (`"relu"`) or a Keras config dict.

    Names resolve through `custom_objects`, registered user objects, then the built-in table; a
    config dict may also name another built-in class, such as the `ReLU` layer.
    """
    return _TABLE.deserialize(config, custom_objects)


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
