"""`Dense`: the densely-connected layer, `activation(inputs @ kernel + bias)`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import activations, constraints, initializers, regularizers
from torchkeras import config as _config
from torchkeras.layers.core import calibrated_quantization, quantization
from torchkeras.layers.core.unsupported import reject_lora
from torchkeras.layers.layer import Layer
from torchkeras.quantizers import AbsMaxQuantizer, QuantizationConfig, serialize
from torchkeras.quantizers.quantization_config import get_block_size_for_layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int

__all__ = ["Dense"]


@register_builtin
class Dense(Layer):
    """Densely-connected layer: `output = activation(dot(input, kernel) + bias)`.

    Applies to the last axis of N-D inputs. The kernel has Keras's `(input_dim, units)` layout.

    Args:
        units: positive integer, dimensionality of the output.
        activation: activation function (name or callable); `None` means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer: initializer of the kernel; `"glorot_uniform"` by default.
        bias_initializer: initializer of the bias; `"zeros"` by default.
        kernel_regularizer, bias_regularizer: optional weight penalties.
        activity_regularizer: optional penalty on the output.
        kernel_constraint, bias_constraint: optional weight constraints.
        lora_rank, lora_alpha: accepted for Keras's configs; LoRA is not supported, so they
            must be `None`.
        quantization_config: the `QuantizationConfig` a quantized layer was made with (set by
            `quantize`, read back from saved configs).
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, ..., input_dim)`.

    Output shape:
        `(batch_size, ..., units)`.

    Example:
    ```python
    layer = keras.layers.Dense(4, activation="relu")
    y = layer(np.ones((2, 3)))  # shape (2, 4)
    ```
    """

    _QUANTIZATION_MODES = ("int8", "int4", "float8", "gptq", "awq")
    # Keras's file order of each mode's variables (absent ones are skipped; GPTQ and AWQ in
    # `calibrated_quantization.calibrated_variables`).
    _SAVED_VARIABLES = {
        "int8": ("kernel", "bias", "kernel_scale"),
        "int4": ("kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"),
        "float8": ("kernel", "bias", *quantization.FLOAT8_VARIABLES),
    }

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        reject_lora(self, lora_rank)
        self.quantization_config = quantization.quantization_config_argument(self, quantization_config)
        self.units = check_positive_int(units, "units", f"Dense '{self.name}'")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        input_dim = input_shape[-1] if input_shape else None
        if input_dim is None:
            raise ValueError(
                f"Dense '{self.name}': the last dimension of the inputs must be defined. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        if self.quantization_mode == "float8":
            quantization.add_float8_variables(self)
        if self.quantization_mode == "int8":
            self._int8_build(input_dim, self.quantization_config)
        elif self.quantization_mode == "int4":
            self._int4_build(input_dim, self.quantization_config)
        elif self.quantization_mode in calibrated_quantization.CALIBRATED_MODES:
            calibrated_quantization.add_calibrated_weights(
                self, (input_dim, self.units), self.quantization_mode, self.quantization_config
            )
        else:
            self.kernel = self.add_weight(
                name="kernel",
                shape=(input_dim, self.units),
                initializer=self.kernel_initializer,
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def call(self, inputs: torch.Tensor, training: bool | None = None) -> torch.Tensor:
        mode = self.quantization_mode  # read once
        if mode in calibrated_quantization.CALIBRATED_MODES:
            kernel = calibrated_quantization.current_kernel(self, inputs.dtype)
        else:
            kernel = self.kernel
        bias = self.bias
        if inputs.shape[-1] != kernel.shape[0]:
            raise ValueError(
                f"Dense '{self.name}': expected inputs with last dimension {kernel.shape[0]}. "
                f"Received: inputs.shape={tuple(inputs.shape)}"
            )
        if mode is not None and mode not in calibrated_quantization.CALIBRATED_MODES:
            return self.activation(self._quantized_matmul(inputs, kernel, bias, mode, training))
        if bias is not None and inputs.dim() == 2:
            outputs = torch.addmm(bias, inputs, kernel)  # the kernel's (in, out) layout, no transpose
        else:
            outputs = torch.nn.functional.linear(inputs, kernel.T, bias)
        return self.activation(outputs)

    def _quantized_matmul(
        self, inputs: torch.Tensor, kernel: torch.Tensor, bias: Any, mode: str, training: bool | None
    ) -> torch.Tensor:
        """`inputs @ kernel + bias` with the kernel quantized in `mode` (before the activation)."""
        if mode == "int8":
            outputs = quantization.int8_contract(
                inputs,
                kernel,
                self.kernel_scale,
                torch.matmul,
                -1,
                dtype=self.compute_dtype,
                inputs_quantizer=self.inputs_quantizer,
            )
            return outputs if bias is None else outputs + bias.to(outputs.dtype)
        if mode == "int4":
            outputs = self._int4_call(inputs)
            return outputs if bias is None else outputs + bias.to(outputs.dtype)
        outputs = quantization.float8_contract(self, inputs, torch.matmul, training)  # "float8"
        return outputs if bias is None else outputs + quantization.float8_bias(bias, self.compute_dtype)

    def quantize(self, mode: str | None = None, type_check: bool = True, config: Any = None) -> None:
        """Quantizes the kernel (Keras's modes): `"int8"` stores an int8 `kernel` with a per-unit
        `kernel_scale` and quantizes the inputs on the fly; `"int4"` packs two int4 values per
        byte, `(input_dim, ceil(units / 2))`, with a per-unit scale, or with a scale and zero
        point per block of `block_size` input rows (`Int4QuantizationConfig`, 128 by default);
        `"gptq"` / `"awq"` (with a `GPTQConfig` / `AWQConfig`) add the grouped integer weights
        that `Model.quantize`'s calibration fills (`calibrated_quantization.py`).

        Args:
            mode: `"int8"`, `"int4"`, `"float8"` (float8 training: the float kernel is kept,
                inputs and kernel pass through float8 at delayed scales), `"gptq"` or `"awq"`;
                optional when `config` is given.
            type_check: refuse subclasses of `Dense` (their `call` may not read the int8 kernel).
            config: a `QuantizationConfig` (its quantizers replace the defaults).
        """
        config = quantization.check_quantize_args(
            self, Dense, self._QUANTIZATION_MODES, mode, type_check, config
        )
        if config.mode in calibrated_quantization.CALIBRATED_MODES:
            return calibrated_quantization.prepare_layer(self, config)
        self.quantization_config = config
        if config.mode == "float8":
            quantization.add_float8_variables(self)
            quantization.set_quantized_policy(self, "float8")
            return
        if config.mode == "int4":
            block_size = get_block_size_for_layer(self, config)
            default = AbsMaxQuantizer(axis=0, value_range=(-8, 7))
            weight_quantizer = QuantizationConfig.weight_quantizer_or_default(config, default)
            self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, None)
            quantization.quantize_int4(self, self.kernel.detach(), block_size, weight_quantizer)
            quantization.set_quantized_policy(self, f"int4/{-1 if block_size is None else block_size}")
            return
        weight_quantizer = QuantizationConfig.weight_quantizer_or_default(config, AbsMaxQuantizer(axis=0))
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, AbsMaxQuantizer())
        quantization.quantize_weight(self, "kernel", axis=0, weight_quantizer=weight_quantizer)

    def _int8_build(self, input_dim: int, config: QuantizationConfig | None) -> None:
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, AbsMaxQuantizer())
        quantization.add_int8_weight(self, "kernel", (input_dim, self.units), (self.units,))

    def _int4_build(self, input_dim: int, config: QuantizationConfig | None) -> None:
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, None)
        block_size = get_block_size_for_layer(self, config)
        quantization.add_int4_weights(self, input_dim, self.units, block_size)

    def _int4_call(self, inputs: torch.Tensor) -> torch.Tensor:
        dtype = _config.torch_dtype(self.compute_dtype)
        if self._int4_block_size is None:
            return quantization.int8_contract(
                inputs,
                quantization.unpack_int4_kernel(self),
                self.kernel_scale,
                torch.matmul,
                -1,
                dtype=self.compute_dtype,
                inputs_quantizer=self.inputs_quantizer,
            )
        return torch.matmul(inputs.to(dtype), quantization.dequantize_int4(self, dtype))

    def _saved_variables(self) -> dict[str, torch.Tensor]:
        """Keras's file order: `kernel`, `bias`, then the mode's scales (`_SAVED_VARIABLES`)."""
        if self.quantization_mode is None:
            trainable, non_trainable = self._own_variables()
            variables = trainable + non_trainable
        elif self.quantization_mode in calibrated_quantization.CALIBRATED_MODES:
            variables = calibrated_quantization.calibrated_variables(self)
        else:
            names = self._SAVED_VARIABLES[self.quantization_mode]
            variables = [getattr(self, n) for n in names if getattr(self, n, None) is not None]
        return {str(i): v for i, v in enumerate(variables)}

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": serialize(self.quantization_config),
        }
