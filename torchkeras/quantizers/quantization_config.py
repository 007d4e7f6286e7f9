"""`QuantizationConfig` and the int8 / int4 / float8 configs `quantize(mode, config=...)` reads.

A config names its `mode` and may carry the quantizers of the weights and of the activations.
Each mode registers its config class with `register_quantization_config`; `quantize` resolves its
arguments through `validate_and_resolve_config`, so a new mode (GPTQ, AWQ) plugs in by registering.
"""

from __future__ import annotations

from typing import Any

from torchkeras.dtype_policies import QUANTIZATION_MODES
from torchkeras.quantizers.quantizers import AbsMaxQuantizer, Quantizer
from torchkeras.utils.registry import class_names, register_builtin

__all__ = [
    "CONFIG_OBJECTS",
    "Float8QuantizationConfig",
    "Int4QuantizationConfig",
    "Int8QuantizationConfig",
    "QuantizationConfig",
    "get_block_size_for_layer",
    "register_quantization_config",
    "validate_and_resolve_config",
]

# mode -> (config class, whether `quantize(mode)` needs an explicit config object).
_MODES: dict[str, tuple[type[QuantizationConfig], bool]] = {}
# The registered config classes by name and snake_case name (part of `keras.quantizers`' table).
CONFIG_OBJECTS: dict[str, type[QuantizationConfig]] = {}


def _serialize_quantizer(quantizer: Any) -> Any:
    from torchkeras import quantizers  # the package's table of names, which imports this module

    return quantizers.serialize(quantizer)


def _deserialize_quantizer(config: Any) -> Any:
    from torchkeras import quantizers

    return quantizers.deserialize(config)


class QuantizationConfig:
    """Base class of quantization configs: the quantizers of the weights and of the activations.

    Subclasses implement the `mode` property (and `get_config` / `from_config` when they add
    arguments).

    Args:
        weight_quantizer: the `Quantizer` of the weights; `None` for the mode's default.
        activation_quantizer: the `Quantizer` of the inputs; `None` for weight-only quantization.
    """

    def __init__(
        self, weight_quantizer: Quantizer | None = None, activation_quantizer: Quantizer | None = None
    ):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self) -> str:
        """The quantization mode this config is for (`"int8"`)."""
        raise NotImplementedError(
            "Subclasses must implement this property. Do not instantiate QuantizationConfig directly."
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "weight_quantizer": _serialize_quantizer(self.weight_quantizer),
            "activation_quantizer": _serialize_quantizer(self.activation_quantizer),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> QuantizationConfig:
        return cls(
            weight_quantizer=_deserialize_quantizer(config.get("weight_quantizer")),
            activation_quantizer=_deserialize_quantizer(config.get("activation_quantizer")),
        )

    @staticmethod
    def weight_quantizer_or_default(config: QuantizationConfig | None, default: Quantizer) -> Quantizer:
        """`config`'s weight quantizer, or `default` when there is none."""
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config: QuantizationConfig | None, default: Any) -> Any:
        """`config`'s activation quantizer (`None` meaning weight-only), or `default` without a config."""
        if config is not None:
            return config.activation_quantizer
        return default

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


class Int8QuantizationConfig(QuantizationConfig):
    """Int8 quantization: int8 weights with a per-channel scale; inputs quantized on the fly.

    Args:
        weight_quantizer: a `Quantizer` with `output_dtype="int8"`; `None` for
            `AbsMaxQuantizer` over the reduced axes.
        activation_quantizer: `"default"` for `AbsMaxQuantizer(axis=-1)`, `None` for
            weight-only quantization, or a `Quantizer`.

    Example:
    ```python
    config = keras.quantizers.Int8QuantizationConfig(
        weight_quantizer=keras.quantizers.AbsMaxQuantizer(axis=0)
    )
    model.quantize(config=config)
    ```
    """

    def __init__(self, weight_quantizer: Quantizer | None = None, activation_quantizer: Any = "default"):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if weight_quantizer is not None and weight_quantizer.output_dtype != "int8":
            raise ValueError(
                "Int8QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                f"Received: output_dtype={weight_quantizer.output_dtype}"
            )

    @property
    def mode(self) -> str:
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """Int4 quantization: two int4 weights per int8 byte, weight-only by default.

    Args:
        weight_quantizer: an `AbsMaxQuantizer` with `value_range=(-8, 7)` and
            `output_dtype="int8"` (per-channel only); `None` for the default.
        activation_quantizer: `"default"` (weight-only, `None`) or a `Quantizer`.
        block_size: rows of the kernel per scale and zero point (`ceil(input_dim / block_size)`
            groups); `None` or `-1` for one symmetric scale per output channel. `128` by default.
    """

    def __init__(
        self,
        weight_quantizer: Quantizer | None = None,
        activation_quantizer: Any = "default",
        block_size: int | None = 128,
    ):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and (
            not isinstance(block_size, int)
            or isinstance(block_size, bool)
            or (block_size != -1 and block_size <= 0)
        ):
            raise ValueError(
                f"block_size must be None, -1, or a positive integer. Received: block_size={block_size}"
            )
        self.block_size = block_size
        if (
            block_size is not None
            and block_size > 0
            and (weight_quantizer is not None or activation_quantizer is not None)
        ):
            raise ValueError(
                "Int4 sub-channel quantization (block_size > 0) does not support custom quantizers. "
                "Either set block_size to None or -1 for per-channel quantization, or remove the "
                f"custom quantizer arguments. Received: block_size={block_size}"
            )
        if weight_quantizer is not None:
            if tuple(getattr(weight_quantizer, "value_range", ())) != (-8, 7):
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer with value_range=(-8, 7). "
                    f"Received: value_range={getattr(weight_quantizer, 'value_range', None)}"
                )
            if weight_quantizer.output_dtype != "int8":
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                    f"Received: output_dtype={weight_quantizer.output_dtype}"
                )

    @property
    def mode(self) -> str:
        return "int4"

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "block_size": self.block_size}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Int4QuantizationConfig:
        return cls(
            weight_quantizer=_deserialize_quantizer(config.get("weight_quantizer")),
            activation_quantizer=_deserialize_quantizer(config.get("activation_quantizer")),
            block_size=config.get("block_size"),  # files from before block_size were per-channel
        )


class Float8QuantizationConfig(QuantizationConfig):
    """Float8 training (delayed scaling with histories of absolute maxima); takes no quantizers."""

    def __init__(self):
        super().__init__(None, None)

    @property
    def mode(self) -> str:
        return "float8"

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Float8QuantizationConfig:
        return cls()


def register_quantization_config(
    mode: str, cls: type[QuantizationConfig], requires_config: bool = False
) -> type[QuantizationConfig]:
    """Makes `cls` the config class of `mode`, and a name `keras.quantizers.deserialize` knows.

    Args:
        mode: one of `QUANTIZATION_MODES`.
        cls: the `QuantizationConfig` subclass.
        requires_config: whether `quantize(mode)` without a config object is refused (GPTQ, AWQ).
    """
    if mode not in QUANTIZATION_MODES:
        raise ValueError(
            f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}"
        )
    _MODES[mode] = (cls, requires_config)
    register_quantization_class(cls)
    return cls


def register_quantization_class(cls: type) -> type:
    """Adds a class to `keras.quantizers`' names (and the saving registry), e.g. the base config."""
    CONFIG_OBJECTS.update(class_names([cls]))
    register_builtin(cls)
    return cls


register_quantization_class(QuantizationConfig)
register_quantization_config("int8", Int8QuantizationConfig)
register_quantization_config("int4", Int4QuantizationConfig)
register_quantization_config("float8", Float8QuantizationConfig)


def _validate_mode(mode: Any) -> None:
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(
            f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}"
        )


def validate_and_resolve_config(mode: str | None, config: Any) -> QuantizationConfig:
    """The config `quantize(mode, config=config)` runs with.

    A string `config` is read as the mode; without a config the mode's default config is made;
    a config's own mode must agree with `mode`.

    Raises:
        ValueError: for an unknown or unimplemented mode, a `config` that is not a
            `QuantizationConfig`, or a mode that contradicts the config's.
    """
    if isinstance(config, str):
        mode, config = config, None
    _validate_mode(mode)
    if config is None:
        if mode is None:
            raise ValueError("You must provide either `mode` or `config` to `quantize`.")
        if mode not in _MODES:
            raise ValueError(f"Quantization mode '{mode}' is not implemented by torchkeras.")
        cls, requires_config = _MODES[mode]
        if requires_config:
            raise ValueError(
                f"For {mode.upper()}, you must pass a `{cls.__name__}` object in the `config` argument."
            )
        config = cls()
    elif not isinstance(config, QuantizationConfig):
        raise ValueError(
            "Argument `config` must be an instance of `QuantizationConfig`. "
            f"Received: config={config} (of type {type(config)})"
        )
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    mode = config.mode
    _validate_mode(mode)
    if mode not in _MODES:
        raise ValueError(f"Quantization mode '{mode}' is not implemented by torchkeras.")
    cls, requires_config = _MODES[mode]
    if requires_config and not isinstance(config, cls):
        raise ValueError(
            f"Mode '{mode}' requires a valid `config` argument of type `{cls.__name__}`. "
            f"Received: {type(config)}"
        )
    return config


def get_block_size_for_layer(layer: Any, config: QuantizationConfig | None) -> int | None:
    """The int4 block size of `layer`: from an `Int4QuantizationConfig`, else from its
    `Int4DTypePolicy` (or its entry in a `DTypePolicyMap`); `None` (one scale per output
    channel) otherwise, as older files are."""
    from torchkeras.dtype_policies import DTypePolicyMap, Int4DTypePolicy

    if isinstance(config, Int4QuantizationConfig):
        return None if config.block_size == -1 else config.block_size
    policy = layer.dtype_policy
    if isinstance(policy, DTypePolicyMap):
        policy = policy[layer.path]
    if isinstance(policy, Int4DTypePolicy):
        return None if policy.block_size == -1 else policy.block_size
    return None
