"""`keras.dtype_policies`: the dtype-policy classes and `get` / `serialize` / `deserialize`.

torchkeras has the float and mixed policies (`DTypePolicy`, `FloatDTypePolicy`); Keras's
quantized policies are not built (see README).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torchkeras.mixed_precision import DTypePolicy, FloatDTypePolicy, global_policy

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]

_CLASSES = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy}


def serialize(dtype_policy: DTypePolicy) -> dict[str, Any]:
    """Keras's serialized form: `{"module", "class_name", "config", "registered_name"}`."""
    if not isinstance(dtype_policy, DTypePolicy):
        raise ValueError(f"`dtype_policy` must be a DTypePolicy. Received: {dtype_policy!r}")
    return {
        "module": "keras",
        "class_name": type(dtype_policy).__name__,
        "config": dtype_policy.get_config(),
        "registered_name": None,
    }


def deserialize(config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> DTypePolicy:
    """Creates a policy from `serialize`'s output."""
    class_name = config.get("class_name")
    cls = (custom_objects or {}).get(class_name) or _CLASSES.get(class_name)
    if cls is None:
        raise ValueError(
            f"Unknown dtype policy class {class_name!r}: torchkeras has {sorted(_CLASSES)} (quantized "
            "policies are not supported)."
        )
    return cls.from_config(config.get("config", {}))


def get(identifier: Any) -> DTypePolicy:
    """A policy from a name (`"mixed_float16"`, `"bfloat16"`), a serialized dict or a policy;
    `None` gives the global policy."""
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, Mapping):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    raise ValueError(
        "Cannot interpret `dtype` argument. Expected a string or an instance of DTypePolicy. "
        f"Received: dtype={identifier}"
    )
