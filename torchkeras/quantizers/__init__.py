"""`keras.quantizers`: quantization functions, the `Quantizer` classes, the quantization configs
and `get` / `serialize` / `deserialize`."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from torchkeras.quantizers.awq_config import AWQConfig
from torchkeras.quantizers.gptq_config import GPTQConfig
from torchkeras.quantizers.quantization_config import (
    CONFIG_OBJECTS,
    Float8QuantizationConfig,
    Int4QuantizationConfig,
    Int8QuantizationConfig,
    QuantizationConfig,
)
from torchkeras.quantizers.quantizers import (
    AbsMaxQuantizer,
    Quantizer,
    abs_max_quantize,
    abs_max_quantize_grouped_with_zero_point,
    compute_float8_amax_history,
    compute_float8_scale,
    fake_quant_with_min_max_vars,
    pack_int4,
    quantize_and_dequantize,
    unpack_int4,
)
from torchkeras.utils.registry import ObjectTable, class_names, register_builtin

__all__ = [
    "AWQConfig",
    "AbsMaxQuantizer",
    "Float8QuantizationConfig",
    "GPTQConfig",
    "Int4QuantizationConfig",
    "Int8QuantizationConfig",
    "QuantizationConfig",
    "Quantizer",
    "abs_max_quantize",
    "abs_max_quantize_grouped_with_zero_point",
    "compute_float8_amax_history",
    "compute_float8_scale",
    "deserialize",
    "fake_quant_with_min_max_vars",
    "get",
    "pack_int4",
    "quantize_and_dequantize",
    "serialize",
    "unpack_int4",
]

_CLASSES = (Quantizer, AbsMaxQuantizer)
ALL_OBJECTS_DICT: dict[str, type[Quantizer]] = class_names(_CLASSES)
for _cls in _CLASSES:
    register_builtin(_cls)

# The quantization configs join through `register_quantization_config` (GPTQ and AWQ too).
_TABLE = ObjectTable(ChainMap(ALL_OBJECTS_DICT, CONFIG_OBJECTS), "keras.quantizers", "quantizer")


def serialize(quantizer: Quantizer | None) -> dict[str, Any] | None:
    """Returns Keras's config dict: `{"module", "class_name", "config", "registered_name"}`."""
    return _TABLE.serialize(quantizer)


def deserialize(config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Returns the quantizer a name (`"abs_max_quantizer"`) or a Keras config dict describes."""
    return _TABLE.deserialize(config, custom_objects)


def get(identifier: Any) -> Quantizer | None:
    """Returns a quantizer from a name, a config dict, a class or an instance; `None` gives `None`.

    Example:
    ```python
    quantizer = torchkeras.quantizers.get("abs_max_quantizer")
    ```
    """
    return _TABLE.get(identifier, "must be a name, a config dict, a Quantizer or None")
