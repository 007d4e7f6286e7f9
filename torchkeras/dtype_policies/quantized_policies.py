"""The policies of quantized layers: `QuantizedDTypePolicy` and its per-mode subclasses.

A quantized policy's name is `"{mode}_from_{source_name}"` (`"int8_from_float32"`,
`"int4/128_from_float32"`); its compute and variable dtypes are the source policy's. Each mode
names the class its policies are made of with `register_quantized_policy`, so a new mode (GPTQ,
AWQ) plugs in without touching this file.
"""

from __future__ import annotations

from typing import Any

from torchkeras.mixed_precision import DTypePolicy, global_policy

__all__ = [
    "QUANTIZATION_MODES",
    "Int4DTypePolicy",
    "QuantizedDTypePolicy",
    "QuantizedFloat8DTypePolicy",
    "quantized_policy_from_name",
    "register_quantized_policy",
]

# Keras's quantization modes (the spec); which of them a layer implements is the layer's business.
QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")

# mode -> the policy class of its names; "mode/" -> the class of names with parameters ("int4/128").
_POLICY_CLASSES: dict[str, type[QuantizedDTypePolicy]] = {}


def register_quantized_policy(mode: str, cls: type[QuantizedDTypePolicy]) -> type[QuantizedDTypePolicy]:
    """Makes `cls` the policy class of names whose mode is `mode` (`"float8"`), or, with a
    trailing slash (`"int4/"`), of names whose mode carries parameters (`"int4/128"`)."""
    base = mode.removesuffix("/")
    if base not in QUANTIZATION_MODES:
        raise ValueError(
            f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}"
        )
    _POLICY_CLASSES[mode] = cls
    return cls


class QuantizedDTypePolicy(DTypePolicy):
    """The policy of a quantized layer: weights stored in `mode`, the rest as `source_name`.

    Args:
        mode: the quantization mode, one of `QUANTIZATION_MODES`.
        source_name: the policy the layer had before quantization; the global policy by default.

    Example:
    ```python
    policy = keras.dtype_policies.QuantizedDTypePolicy("int8", "mixed_bfloat16")
    policy.name  # "int8_from_mixed_bfloat16"
    ```
    """

    def __init__(self, mode: str, source_name: str | None = None):
        source = DTypePolicy(source_name or global_policy().name)
        self._check_quantization_mode(mode, source.compute_dtype)
        self._source = source
        self._quantization_mode = mode
        self.name = f"{mode}_from_{source.name}"

    @staticmethod
    def _check_quantization_mode(mode: str, compute_dtype: str) -> None:
        if mode not in QUANTIZATION_MODES:
            raise ValueError(
                f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}"
            )
        if mode == "int8" and compute_dtype == "float16":
            raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'.")

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

    def get_config(self) -> dict[str, Any]:
        return {"mode": self._quantization_mode, "source_name": self._source.name}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))

    def __repr__(self) -> str:
        return f'<{type(self).__name__} "{self.name}">'


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """The policy of a layer trained in float8: `"float8_from_<source>"`.

    Args:
        mode: `"float8"`.
        source_name: the policy before quantization; the global policy by default.
        amax_history_length: how many past absolute maxima the float8 scales are computed from.
    """

    default_amax_history_length = 1024

    def __init__(self, mode: str, source_name: str | None = None, amax_history_length: int = 1024):
        super().__init__(mode, source_name)
        if not isinstance(amax_history_length, int) or isinstance(amax_history_length, bool):
            raise TypeError(
                "`amax_history_length` must be an integer. "
                f"Received: amax_history_length={amax_history_length}"
            )
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self) -> int:
        """The length of the window of absolute maxima behind each float8 scale."""
        return self._amax_history_length

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "amax_history_length": self._amax_history_length}


class Int4DTypePolicy(QuantizedDTypePolicy):
    """The policy of an int4 layer that records its block size: `"int4/<block_size>_from_<source>"`.

    Args:
        mode: `"int4/<block_size>"`: `-1` for one scale per output channel, a positive integer
            for one scale and zero point per block of that many input rows (`"int4/128"`).
        source_name: the policy before quantization; the global policy by default.
    """

    def __init__(self, mode: str, source_name: str | None = None):
        parts = mode.split("/") if isinstance(mode, str) else []
        if len(parts) != 2 or parts[0] != "int4":
            raise ValueError(
                f"Invalid mode for Int4DTypePolicy. Expected format 'int4/<block_size>', but got '{mode}'."
            )
        try:
            block_size = int(parts[1])
        except ValueError:
            raise ValueError(
                "Invalid mode for Int4DTypePolicy. <block_size> must be an integer. Expected format "
                f"'int4/<block_size>', but got '{mode}'."
            ) from None
        if block_size < -1 or block_size == 0:
            raise ValueError(
                "Invalid block_size in mode. Supported values are -1 (per-channel) or a positive "
                f"integer (sub-channel), but got {block_size} from '{mode}'."
            )
        super().__init__("int4", source_name)
        self.name = f"int4/{block_size}_from_{self.source_name}"
        self.mode = "int4"
        self.block_size = block_size

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": f"int4/{self.block_size}"}


register_quantized_policy("int8", QuantizedDTypePolicy)
register_quantized_policy("int4", QuantizedDTypePolicy)
register_quantized_policy("int4/", Int4DTypePolicy)
register_quantized_policy("float8", QuantizedFloat8DTypePolicy)


def quantized_policy_from_name(name: str) -> QuantizedDTypePolicy:
    """The policy a name such as `"int8_from_float32"` or `"int4/128_from_bfloat16"` stands for."""
    if not isinstance(name, str):
        raise TypeError(f"`policy` must be a string. Received: policy={name}")
    if not name.startswith(QUANTIZATION_MODES):
        raise ValueError("`policy` is incompatible with the current supported quantization.")
    parts = name.split("_from_")
    if len(parts) != 2:
        raise ValueError(
            "Cannot convert `policy` into a valid pair (`mode`, `source_name`) to instantiate "
            f"`QuantizedDTypePolicy`. Received: policy={name}"
        )
    mode, source_name = parts
    base, slash, _ = mode.partition("/")
    cls = _POLICY_CLASSES.get(base + slash) or _POLICY_CLASSES.get(base)
    if cls is None:
        raise ValueError(
            f"Quantization mode '{base}' is not implemented by torchkeras. Received: policy={name}"
        )
    return cls(mode, source_name)
