"""`EinsumDense`: a dense layer whose contraction is any `einsum` equation."""

from __future__ import annotations

import functools
import re
import string
from typing import Any, NamedTuple

import torch

from torchkeras import activations, constraints, initializers, regularizers
from torchkeras import config as _config
from torchkeras.initializers.random_initializers import VarianceScaling
from torchkeras.layers.core import calibrated_quantization, quantization
from torchkeras.layers.core.unsupported import reject_lora
from torchkeras.layers.layer import Layer
from torchkeras.quantizers import AbsMaxQuantizer, QuantizationConfig, serialize
from torchkeras.quantizers.quantization_config import get_block_size_for_layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["EinsumDense", "EinsumShapes", "analyze_einsum"]

# The three forms Keras accepts: no ellipsis, an ellipsis leading the input and output, or an
# ellipsis trailing them (the input then names at least two axes).
_PLAIN = re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)")
_LEFT = re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)")
_RIGHT = re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.")


def _split(equation: str) -> tuple[str, str, str, str | None] | None:
    """(input, kernel, output) axis letters and where the ellipsis is, or None if malformed."""
    for pattern, ellipsis in ((_PLAIN, None), (_LEFT, "left"), (_RIGHT, "right")):
        match = pattern.fullmatch(equation.replace(" ", ""))
        if match:
            return (*match.groups(), ellipsis)
    return None


class EinsumShapes(NamedTuple):
    """What an einsum equation implies for given input and partial output shapes."""

    kernel_shape: tuple
    bias_shape: tuple | None
    output_shape: tuple
    input_axes: tuple[int, ...]  # kernel axes contracted with the input (its fan-in)
    output_axes: tuple[int, ...]  # kernel axes that reach the output (its fan-out)


def analyze_einsum(
    equation: str, bias_axes: str | None, input_shape: tuple, output_shape: tuple, owner: str | None = None
) -> EinsumShapes:
    """Kernel, bias and full output shapes of `EinsumDense(equation, output_shape, bias_axes)`.

    `output_shape` leaves out the batch axis and the axes covered by an ellipsis; its entries may
    be `None` where the input determines them.
    """
    where = f"{owner}: " if owner else ""
    input_shape = tuple(input_shape)
    parsed = _split(equation)
    if parsed is None:
        raise ValueError(
            f"{where}Invalid einsum equation {equation!r}. Equations must be in the form "
            "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
        )
    input_spec, kernel_spec, output_spec, ellipsis = parsed
    elided = len(input_shape) - len(input_spec)
    if elided < 0 or (ellipsis is None and elided != 0):
        raise invalid(
            "inputs", f"must have rank {len(input_spec)} for equation {equation!r}", input_shape, owner
        )

    # The full output shape: the batch axis, then the axes an ellipsis carries over, then the
    # user's `output_shape`.
    partial = list(output_shape)
    if ellipsis == "left":
        full = [*input_shape[: max(elided, 1)], *partial]
        input_index = {c: elided + i for i, c in enumerate(input_spec)}
        output_index = {c: elided + i for i, c in enumerate(output_spec)}
    else:
        full = [input_shape[0], *partial, *input_shape[len(input_spec) :]]
        input_index = {c: i for i, c in enumerate(input_spec)}
        output_index = {c: i for i, c in enumerate(output_spec)}
    if len(full) != len(output_spec) + elided:
        raise invalid(
            "output_shape",
            f"must give one size per output axis of {equation!r}, leaving out the batch axis "
            "and the axes of an ellipsis",
            tuple(output_shape),
            owner,
        )

    for axis, position in input_index.items():
        if axis in output_index:
            size = full[output_index[axis]]
            if size is not None and size != input_shape[position]:
                raise ValueError(
                    f"{where}Input shape and output shape do not match at shared dimension "
                    f"'{axis}'. Input shape is {input_shape[position]}, and output shape is {size}."
                )
            full[output_index[axis]] = input_shape[position]
    for axis in output_spec:
        if axis not in input_spec and axis not in kernel_spec:
            raise ValueError(
                f"{where}Dimension '{axis}' was specified in the output '{output_spec}' but has no "
                f"corresponding dimension in the input spec '{input_spec}' or weight spec '{kernel_spec}'."
            )

    kernel_shape, input_axes, output_axes = [], [], []
    for i, axis in enumerate(kernel_spec):
        if axis in output_index:
            kernel_shape.append(full[output_index[axis]])
            output_axes.append(i)
        elif axis in input_index:
            kernel_shape.append(input_shape[input_index[axis]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"{where}Weight dimension '{axis}' did not have a match in either the input spec "
                f"'{input_spec}' or the output spec '{output_spec}'. For this layer, the weight must "
                "be fully specified."
            )

    bias_shape = None
    if bias_axes is not None:
        for axis in bias_axes:
            if axis not in output_spec:
                raise ValueError(
                    f"{where}Bias dimension '{axis}' was requested, but is not part of the output "
                    f"spec '{output_spec}'."
                )
        first = min(output_spec.index(axis) for axis in bias_axes)
        bias_shape = [full[output_index[c]] if c in bias_axes else 1 for c in output_spec[first:]]
        if ellipsis == "right":
            bias_shape += [1] * elided
        bias_shape = tuple(bias_shape)
    return EinsumShapes(tuple(kernel_shape), bias_shape, tuple(full), tuple(input_axes), tuple(output_axes))


@register_builtin
class EinsumDense(Layer):
    """A dense layer computing `activation(einsum(equation, inputs, kernel) + bias)`.

    The kernel's shape follows from the equation: each kernel axis takes its size from the output
    (`output_shape`) or, when contracted, from the input. Weights are kept in Keras's layout.

    Args:
        equation: an einsum equation `"ab,bc->ac"`, `"...ab,bc->...ac"` or `"ab...,bc->ac..."`;
            the first operand is the input, the second the kernel.
        output_shape: the output's shape without the batch axis and the ellipsis axes (an int for
            one axis); `None` entries are taken from the input.
        activation: activation function (name or callable); `None` means linear.
        bias_axes: letters of the output axes that get a bias, or `None` for no bias.
        kernel_initializer: initializer of the kernel; a variance-scaling one counts its fans
            over the kernel's contracted and output axes.
        bias_initializer: initializer of the bias; `"zeros"` by default.
        kernel_regularizer, bias_regularizer: optional weight penalties.
        kernel_constraint, bias_constraint: optional weight constraints.
        **kwargs: base `Layer` arguments (`name`, `dtype`, `activity_regularizer`, ...).

    Example:
    ```python
    layer = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")
    y = layer(np.ones((2, 5, 16)))  # shape (2, 5, 4, 8); kernel (16, 4, 8), bias (4, 8)
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
        equation: str,
        output_shape: Any,
        activation: Any = None,
        bias_axes: str | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        gptq_unpacked_column_size: int | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        owner = f"EinsumDense '{self.name}'"
        if not isinstance(equation, str):
            raise invalid("equation", "must be a string such as 'ab,bc->ac'", equation, owner)
        reject_lora(self, lora_rank)
        self.equation = equation
        if isinstance(output_shape, int) and not isinstance(output_shape, bool):
            output_shape = (output_shape,)
        try:
            self.partial_output_shape = tuple(output_shape)
        except TypeError:
            raise invalid("output_shape", "must be an int or a tuple", output_shape, owner) from None
        if bias_axes is not None and not isinstance(bias_axes, str):
            raise invalid("bias_axes", "must be a string of output axis letters or None", bias_axes, owner)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.lora_rank = None
        self.lora_alpha = None
        self.quantization_config = quantization.quantization_config_argument(self, quantization_config)
        self.gptq_unpacked_column_size = gptq_unpacked_column_size  # set again by a GPTQ build

    def build(self, input_shape: tuple) -> None:
        owner = f"EinsumDense '{self.name}'"
        shapes = analyze_einsum(self.equation, self.bias_axes, input_shape, self.partial_output_shape, owner)
        if any(d is None for d in shapes.kernel_shape):
            raise ValueError(
                f"{owner}: the kernel shape {shapes.kernel_shape} must be fully defined; give the "
                "missing sizes in `output_shape` or in the input shape. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self._input_rank = len(input_shape)
        self._kernel_shape = tuple(shapes.kernel_shape)  # whatever form the kernel is stored in
        if self.quantization_mode == "float8":
            quantization.add_float8_variables(self)
        if self.quantization_mode == "int8":
            _, kernel_spec, output_spec = self._explicit_specs()
            scale_shape = _broadcast_shape(shapes.kernel_shape, kernel_spec, output_spec)
            self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(
                self.quantization_config, AbsMaxQuantizer()
            )
            quantization.add_int8_weight(self, "kernel", shapes.kernel_shape, scale_shape)
        elif self.quantization_mode == "int4":
            self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(
                self.quantization_config, None
            )
            rows, columns = self._int4_matrix_shape(shapes.kernel_shape)
            block_size = get_block_size_for_layer(self, self.quantization_config)
            quantization.add_int4_weights(self, rows, columns, block_size)
            self._kernel_shape = tuple(shapes.kernel_shape)
        elif self.quantization_mode in calibrated_quantization.CALIBRATED_MODES:
            calibrated_quantization.add_calibrated_weights(
                self, shapes.kernel_shape, self.quantization_mode, self.quantization_config
            )
        else:
            self.kernel = self.add_weight(
                name="kernel",
                shape=shapes.kernel_shape,
                initializer=self._fan_aware(self.kernel_initializer, shapes),
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
        self.bias = None
        if shapes.bias_shape is not None:
            self.bias = self.add_weight(
                name="bias",
                shape=shapes.bias_shape,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    @staticmethod
    def _fan_aware(initializer: Any, shapes: EinsumShapes) -> Any:
        """A copy of a variance-scaling initializer told which kernel axes are fan-in / fan-out."""
        if not isinstance(initializer, VarianceScaling):
            return initializer
        if initializer.input_axes is not None and initializer.output_axes is not None:
            return initializer
        config = {
            **initializer.get_config(),
            "input_axes": shapes.input_axes,
            "output_axes": shapes.output_axes,
        }
        return type(initializer).from_config(config)

    def call(self, inputs: torch.Tensor, training: bool | None = None) -> torch.Tensor:
        if inputs.ndim != self._input_rank:
            raise ValueError(
                f"EinsumDense '{self.name}': expected inputs of rank {self._input_rank}. "
                f"Received: inputs.shape={tuple(inputs.shape)}"
            )
        if self.quantization_mode == "int8":
            input_spec, _, output_spec = self._explicit_specs()
            reduced = tuple(i for i, label in enumerate(input_spec) if label not in output_spec)
            outputs = quantization.int8_contract(
                inputs,
                self.kernel,
                self.kernel_scale,
                functools.partial(torch.einsum, self.equation),
                reduced,
                functools.partial(_output_scale, input_spec=input_spec, output_spec=output_spec),
                dtype=self.compute_dtype,
                inputs_quantizer=self.inputs_quantizer,
            )
        elif self.quantization_mode == "int4":
            outputs = self._int4_call(inputs)
        elif self.quantization_mode == "float8":
            contract = functools.partial(torch.einsum, self.equation)
            outputs = quantization.float8_contract(self, inputs, contract, training)
            if self.bias is not None:
                return self.activation(outputs + quantization.float8_bias(self.bias, self.compute_dtype))
            return self.activation(outputs)
        elif self.quantization_mode in calibrated_quantization.CALIBRATED_MODES:
            kernel = calibrated_quantization.current_kernel(self, inputs.dtype)
            outputs = torch.einsum(self.equation, inputs, kernel)
        else:
            outputs = torch.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            bias = self.bias if self.quantization_mode is None else self.bias.to(outputs.dtype)
            outputs = outputs + bias
        return self.activation(outputs)

    def quantize(self, mode: str | None = None, type_check: bool = True, config: Any = None) -> None:
        """Quantizes the kernel to int8 (Keras's `"int8"` mode): one scale per output position of
        the kernel, stored broadcastable against the output; the inputs are quantized on the fly
        over their contracted axes. `"gptq"` / `"awq"` (with a `GPTQConfig` / `AWQConfig`) add
        the grouped integer weights `Model.quantize`'s calibration fills.

        Args:
            mode: `"int8"`, `"gptq"` or `"awq"`; optional when `config` is given.
            type_check: refuse subclasses of `EinsumDense`.
            config: a `QuantizationConfig` (its quantizers replace the defaults).
        """
        config = quantization.check_quantize_args(
            self, EinsumDense, self._QUANTIZATION_MODES, mode, type_check, config
        )
        if config.mode in calibrated_quantization.CALIBRATED_MODES:
            return calibrated_quantization.prepare_layer(self, config)
        self.quantization_config = config
        if config.mode == "float8":
            quantization.add_float8_variables(self)
            quantization.set_quantized_policy(self, "float8")
            return
        if config.mode == "int4":
            self._quantize_int4(config)
            return
        _, kernel_spec, output_spec = self._explicit_specs()
        reduced = tuple(i for i, label in enumerate(kernel_spec) if label not in output_spec)
        arrange = functools.partial(_to_output_layout, spec=kernel_spec, output_spec=output_spec)
        weight_quantizer = QuantizationConfig.weight_quantizer_or_default(config, AbsMaxQuantizer())
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, AbsMaxQuantizer())
        quantization.quantize_weight(self, "kernel", reduced, arrange, weight_quantizer)

    def _int4_matrix_shape(self, kernel_shape: tuple) -> tuple[int, int]:
        """Keras's 2D view of the kernel: (contracted sizes' product, the others' product)."""
        _, kernel_spec, output_spec = self._explicit_specs()
        rows = columns = 1
        for label, size in zip(kernel_spec, kernel_shape):
            if label in output_spec:
                columns *= size
            else:
                rows *= size
        return rows, columns

    def _quantize_int4(self, config: QuantizationConfig) -> None:
        """Keras's int4 of an einsum kernel: reshaped (not transposed) to its 2D view, quantized
        per column or per block of rows, packed along the columns."""
        kernel_shape = tuple(self.kernel.shape)
        block_size = get_block_size_for_layer(self, config)
        default = AbsMaxQuantizer(axis=0, value_range=(-8, 7))
        weight_quantizer = QuantizationConfig.weight_quantizer_or_default(config, default)
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, None)
        flat = self.kernel.detach().reshape(self._int4_matrix_shape(kernel_shape))
        quantization.quantize_int4(self, flat, block_size, weight_quantizer)
        self._kernel_shape = kernel_shape
        quantization.set_quantized_policy(self, f"int4/{-1 if block_size is None else block_size}")

    def _int4_call(self, inputs: torch.Tensor) -> torch.Tensor:
        dtype = _config.torch_dtype(self.compute_dtype)
        kernel = quantization.dequantize_int4(self, dtype).reshape(self._kernel_shape)
        if self.inputs_quantizer is None:
            return torch.einsum(self.equation, inputs.to(dtype), kernel)
        input_spec, _, output_spec = self._explicit_specs()
        reduced = tuple(i for i, label in enumerate(input_spec) if label not in output_spec)
        return quantization.int8_contract(
            inputs,
            kernel,
            torch.ones((), dtype=dtype, device=kernel.device),
            functools.partial(torch.einsum, self.equation),
            reduced,
            functools.partial(_output_scale, input_spec=input_spec, output_spec=output_spec),
            dtype=self.compute_dtype,
            inputs_quantizer=self.inputs_quantizer,
        )

    def _explicit_specs(self) -> tuple[str, str, str]:
        """(input, kernel, output) axis letters, with the ellipsis spelled out for the built rank."""
        input_spec, kernel_spec, output_spec, ellipsis = _split(self.equation)
        if ellipsis is not None:
            free = sorted(set(string.ascii_letters) - set(input_spec + kernel_spec + output_spec))
            extra = "".join(free[: self._input_rank - len(input_spec)])
            if ellipsis == "left":
                input_spec, output_spec = extra + input_spec, extra + output_spec
            else:
                input_spec, output_spec = input_spec + extra, output_spec + extra
        return input_spec, kernel_spec, output_spec

    def _saved_variables(self) -> dict[str, torch.Tensor]:
        """Keras's file order: `kernel`, `bias`, then `kernel_scale` when quantized."""
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
        shapes = analyze_einsum(self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        return shapes.output_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": serialize(self.quantization_config),
        } | (
            {"gptq_unpacked_column_size": self.gptq_unpacked_column_size}
            if self.gptq_unpacked_column_size
            else {}
        )


def _broadcast_shape(shape: tuple, spec: str, output_spec: str) -> tuple:
    """The shape of a per-output scale of a tensor labelled `spec`: its size on each output axis it
    has, 1 on the others (Keras's int8 scale layout)."""
    return tuple(shape[spec.index(label)] if label in spec else 1 for label in output_spec)


def _to_output_layout(scale: torch.Tensor, spec: str, output_spec: str) -> torch.Tensor:
    """A scale of a tensor labelled `spec` (contracted axes kept as size 1) moved to broadcast
    against the output."""
    reduced = tuple(i for i, label in enumerate(spec) if label not in output_spec)
    kept = "".join(label for label in spec if label in output_spec)
    ordered = "".join(label for label in output_spec if label in spec)
    moved = torch.einsum(f"{kept}->{ordered}", scale.squeeze(reduced) if reduced else scale)
    return moved.reshape(_broadcast_shape(tuple(scale.shape), spec, output_spec))


def _output_scale(
    inputs_scale: torch.Tensor | None, kernel_scale: torch.Tensor, input_spec: str, output_spec: str
) -> torch.Tensor:
    """The int8 output's divisor: the kernel scale, times the inputs' when they were quantized."""
    if inputs_scale is None:
        return kernel_scale
    return _to_output_layout(inputs_scale, input_spec, output_spec) * kernel_scale
