"""`keras.dtype_policies`: the dtype-policy classes and `get` / `serialize` / `deserialize`.

torchkeras has the float and mixed policies (`DTypePolicy`, `FloatDTypePolicy`) and the int8
`QuantizedDTypePolicy`; Keras's int4, float8, GPTQ and AWQ policies are not built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torchkeras.mixed_precision import DTypePolicy, FloatDTypePolicy, global_policy

__all__ = [
    "QUANTIZATION_MODES",
    "DTypePolicy",
    "FloatDTypePolicy",
    "QuantizedDTypePolicy",
    "deserialize",
    "get",
    "serialize",
    "split_quantized",
]

# The quantization modes torchkeras implements (Keras also has int4, float8, gptq, awq).
QUANTIZATION_MODES = ("int8",)


class QuantizedDTypePolicy(DTypePolicy):
    """The policy of a quantized layer: weights stored in `mode`, the rest as `source_name`.

    Its name is `"{mode}_from_{source_name}"`, e.g. `"int8_from_float32"`; its compute and
    variable dtypes are the source policy's.

    Args:
        mode: the quantization mode, `"int8"`.
        source_name: the policy the layer had before quantization; the global policy by default.
    """

    def __init__(self, mode: str, source_name: str | None = None):
        if mode not in QUANTIZATION_MODES:
            raise ValueError(
                f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES} (torchkeras does "
                f"not implement Keras's other modes). Received: mode={mode!r}"
            )
        source = DTypePolicy(source_name or global_policy().name)
        if mode == "int8" and source.compute_dtype == "float16":
            raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'.")
        self._source = source
        self._quantization_mode = mode
        self.name = f"{mode}_from_{source.name}"

    @property
    def quantization_mode(self) -> str:  # type: ignore[override]
        return self._quantization_mode

    @property
    def source_name(self) -> str:
        return self._source.name

    @property
    def variable_dtype(self) -> str:
        return self._source.variable_dtype

    @property
    def compute_dtype(self) -> str:
        return self._source.compute_dtype

    @property
    def is_mixed(self) -> bool:
        return self._source.is_mixed

    def get_config(self) -> dict:
        return {"mode": self._quantization_mode, "source_name": self._source.name}

    def __repr__(self) -> str:
        return f'<QuantizedDTypePolicy "{self.name}">'


_CLASSES = {
    "DTypePolicy": DTypePolicy,
    "FloatDTypePolicy": FloatDTypePolicy,
    "QuantizedDTypePolicy": QuantizedDTypePolicy,
}


def split_quantized(dtype: Any) -> tuple[Any, str | None]:
    """`(source dtype, quantization mode)` of a layer's `dtype` argument: a quantized policy (an
    instance, Keras's config dict or a name such as `"int8_from_float32"`) gives its source name
    and mode; anything else comes back unchanged with mode `None`."""
    if isinstance(dtype, Mapping) and dtype.get("class_name") == "QuantizedDTypePolicy":
        dtype = deserialize(dtype)
    elif isinstance(dtype, str) and "_from_" in dtype:
        dtype = get(dtype)
    if isinstance(dtype, QuantizedDTypePolicy):
        return dtype.source_name, dtype.quantization_mode
    return dtype, None


def serialize(dtype_policy: DTypePolicy) -> dict[str, Any]:
    """Keras's serialized form: `{"module", "class_name", "config", "registered_name"}`."""
    if not isinstance(dtype_policy, DTypePolicy):
        raise ValueError(f"`dtype_policy` must be a DTypePolicy. Received: {dtype_policy!r}")
    return {
        "module": "keras.dtype_policies" if isinstance(dtype_policy, QuantizedDTypePolicy) else "keras",
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
            f"Unknown dtype policy class {class_name!r}: torchkeras has {sorted(_CLASSES)} (int4, float8, "
            "GPTQ and AWQ policies are not supported)."
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
        mode, separator, source = identifier.partition("_from_")
        return QuantizedDTypePolicy(mode, source) if separator else DTypePolicy(identifier)
    raise ValueError(
        "Cannot interpret `dtype` argument. Expected a string or an instance of DTypePolicy. "
        f"Received: dtype={identifier}"
    )
