"""`keras.dtype_policies`: the dtype-policy classes and `get` / `serialize` / `deserialize`.

Float and mixed policies (`DTypePolicy`, `FloatDTypePolicy`), the quantized policies
(`QuantizedDTypePolicy`, `QuantizedFloat8DTypePolicy`, `Int4DTypePolicy`, `GPTQDTypePolicy`,
`AWQDTypePolicy`) and `DTypePolicyMap` (layer path -> policy). A new quantized policy
class registers its mode with `register_quantized_policy` and its class name with
`register_policy_class`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torchkeras.dtype_policies.calibrated_policies import AWQDTypePolicy, GPTQDTypePolicy
from torchkeras.dtype_policies.dtype_policy import DTypePolicy, FloatDTypePolicy
from torchkeras.dtype_policies.dtype_policy_map import DTypePolicyMap
from torchkeras.dtype_policies.quantized_policies import (
    QUANTIZATION_MODES,
    Int4DTypePolicy,
    QuantizedDTypePolicy,
    QuantizedFloat8DTypePolicy,
    quantized_policy_from_name,
    register_quantized_policy,
)
from torchkeras.mixed_precision import global_policy

__all__ = [
    "QUANTIZATION_MODES",
    "AWQDTypePolicy",
    "DTypePolicy",
    "DTypePolicyMap",
    "FloatDTypePolicy",
    "GPTQDTypePolicy",
    "Int4DTypePolicy",
    "QuantizedDTypePolicy",
    "QuantizedFloat8DTypePolicy",
    "deserialize",
    "get",
    "register_policy_class",
    "register_quantized_policy",
    "serialize",
    "split_quantized",
]

ALL_OBJECTS_DICT: dict[str, type[DTypePolicy]] = {}


def register_policy_class(cls: type[DTypePolicy]) -> type[DTypePolicy]:
    """Lets `deserialize` rebuild `cls` from its class name (Keras's `ALL_OBJECTS_DICT`)."""
    ALL_OBJECTS_DICT[cls.__name__] = cls
    return cls


for _cls in (
    DTypePolicy,
    FloatDTypePolicy,
    QuantizedDTypePolicy,
    QuantizedFloat8DTypePolicy,
    Int4DTypePolicy,
    GPTQDTypePolicy,
    AWQDTypePolicy,
    DTypePolicyMap,
):
    register_policy_class(_cls)


def split_quantized(dtype: Any, path: str | None = None) -> tuple[Any, QuantizedDTypePolicy | None]:
    """`(source dtype, quantized policy)` of a layer's `dtype` argument: a quantized policy (an
    instance, Keras's config dict or a name such as `"int8_from_float32"`) gives its source name
    and itself; a `DTypePolicyMap` gives what its policy for `path` gives; anything else comes
    back unchanged with `None`."""
    if isinstance(dtype, dict) and dtype.get("class_name") != "DTypePolicy":
        dtype = deserialize(dtype)
    elif isinstance(dtype, str) and dtype.startswith(QUANTIZATION_MODES):
        dtype = get(dtype)
    if isinstance(dtype, DTypePolicyMap):
        dtype = dtype.default_policy if path is None else dtype[path]
    if isinstance(dtype, QuantizedDTypePolicy):
        return dtype.source_name, dtype
    return dtype, None


def serialize(dtype_policy: DTypePolicy) -> dict[str, Any]:
    """Keras's serialized form: `{"module", "class_name", "config", "registered_name"}`."""
    if not isinstance(dtype_policy, DTypePolicy):
        raise ValueError(f"`dtype_policy` must be a DTypePolicy. Received: {dtype_policy!r}")
    plain = type(dtype_policy) in (DTypePolicy, FloatDTypePolicy)
    return {
        "module": "keras" if plain else "keras.dtype_policies",
        "class_name": type(dtype_policy).__name__,
        "config": dtype_policy.get_config(),
        "registered_name": None,
    }


def deserialize(config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> DTypePolicy:
    """Creates a policy from `serialize`'s output."""
    class_name = config.get("class_name")
    cls = (custom_objects or {}).get(class_name) or ALL_OBJECTS_DICT.get(class_name)
    if cls is None:
        raise ValueError(
            f"Unknown dtype policy class {class_name!r}: torchkeras has {sorted(ALL_OBJECTS_DICT)}."
        )
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier: Any) -> DTypePolicy:
    """A policy from a name (`"mixed_float16"`, `"int8_from_float32"`), a serialized dict or a
    policy; `None` gives the global policy."""
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, Mapping):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.startswith(QUANTIZATION_MODES):
            return quantized_policy_from_name(identifier)
        return DTypePolicy(identifier)
    raise ValueError(
        "Cannot interpret `dtype` argument. Expected a string or an instance of DTypePolicy. "
        f"Received: dtype={identifier}"
    )
