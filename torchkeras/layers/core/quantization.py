"""Weight quantization shared by `Dense`, `EinsumDense`, `Embedding` and `ReversibleEmbedding`.

`check_quantize_args` is the one gate every `quantize(mode, type_check, config)` goes through: it
resolves the `QuantizationConfig` (Keras's `validate_and_resolve_config`) and refuses, before
anything changes, a layer that cannot be quantized now. Then the helpers of each mode, in Keras's
layouts:

- int8: the weight as an int8 tensor under its own name (`kernel`, `embeddings`) beside a float
  scale (`kernel_scale`): `weight ≈ int8_weight / scale`; inputs quantized on the fly.
- int4: two values per int8 byte, per-channel scales or blocks with `kernel_zero` and `g_idx`.
- float8: the float kernel kept, with scales and amax histories the optimizer overwrites.

A new mode plugs in by registering its config (`register_quantization_config`) and policy class
(`register_quantized_policy`, `dtype_policies.register_policy_class`), then in each layer: its
name in `_QUANTIZATION_MODES`, its file order in `_SAVED_VARIABLES`, a branch in `build`, `call`
and `quantize`, and `set_quantized_policy(layer, "<policy mode>")` at the end of `quantize`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import torch

from torchkeras import config as _config
from torchkeras import dtype_policies
from torchkeras.quantizers import (
    AbsMaxQuantizer,
    QuantizationConfig,
    abs_max_quantize_grouped_with_zero_point,
    compute_float8_amax_history,
    compute_float8_scale,
    deserialize,
    pack_int4,
    quantize_and_dequantize,
    unpack_int4,
)
from torchkeras.quantizers.quantization_config import validate_and_resolve_config

__all__ = [
    "FLOAT8_VARIABLES",
    "add_float8_variables",
    "add_int4_weights",
    "add_int8_weight",
    "dequantize_int4",
    "float8_bias",
    "float8_contract",
    "check_quantize_args",
    "matches_filters",
    "int8_contract",
    "quantization_config_argument",
    "quantize_int4",
    "quantize_weight",
    "set_quantized_policy",
    "unpack_int4_kernel",
]


def quantization_config_argument(layer: Any, value: Any) -> QuantizationConfig | None:
    """A layer's `quantization_config` argument: `None`, a `QuantizationConfig`, or Keras's
    serialized form of one."""
    if isinstance(value, Mapping):
        value = deserialize(value)
    if value is not None and not isinstance(value, QuantizationConfig):
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': `quantization_config` must be a "
            f"QuantizationConfig or None. Received: quantization_config={value!r}"
        )
    return value


def check_quantize_args(
    layer: Any, owner: type, modes: tuple[str, ...], mode: str | None, type_check: bool, config: Any
) -> QuantizationConfig:
    """The config `layer.quantize(mode, type_check, config)` runs with.

    Args:
        layer: the layer asked to quantize itself.
        owner: the class whose `quantize` runs; with `type_check`, subclasses are refused.
        modes: the modes `owner` implements.
        mode, type_check, config: `quantize`'s arguments.

    Raises:
        NotImplementedError: for a subclass under `type_check`, or a mode `owner` lacks.
        ValueError: for bad arguments, an unbuilt or already quantized layer, or int8 under a
            float16 compute dtype.
    """
    if type_check and type(layer) is not owner:
        raise layer._not_quantizable()
    config = validate_and_resolve_config(mode, config)
    mode = config.mode
    if mode not in modes:
        raise NotImplementedError(
            f"Layer {type(layer).__name__} does not support quantization mode '{mode}'. "
            f"Supported modes: {modes}"
        )
    if not layer.built:
        raise ValueError(
            f"Cannot quantize a layer that isn't yet built. Layer '{layer.name}' (of type "
            f"'{type(layer).__name__}') is not built yet."
        )
    if layer.quantization_mode is not None:
        raise ValueError(
            f"Layer '{layer.name}' is already quantized with dtype_policy='{layer.dtype_policy.name}'. "
            f"Received: mode={mode}"
        )
    if mode == "int8" and layer.compute_dtype == "float16":
        raise ValueError(
            f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'. Consider "
            "another dtype policy such as 'mixed_bfloat16' before calling `quantize()`."
        )
    return config


def set_quantized_policy(layer: Any, policy_mode: str) -> None:
    """Gives `layer` the policy `"{policy_mode}_from_<its policy>"` (`"int4/128"` for int4), also
    in the `DTypePolicyMap` it was given."""
    policy = dtype_policies.get(f"{policy_mode}_from_{layer._dtype_policy}")
    layer._quantized_policy = policy
    policy_map = layer._dtype_policy_map
    if policy_map is not None:  # Keras's setter: the map's entry for this layer is replaced
        if layer.path in policy_map:
            del policy_map[layer.path]
        policy_map[layer.path] = policy


def add_int8_weight(layer: Any, name: str, shape: tuple, scale_shape: tuple) -> None:
    """Adds the non-trainable int8 weight `name` and its float scale `<name>_scale` to `layer`."""
    setattr(
        layer,
        name,
        layer.add_weight(name=name, shape=shape, initializer="zeros", dtype="int8", trainable=False),
    )
    scale_name = f"{name}_scale"
    setattr(
        layer,
        scale_name,
        layer.add_weight(name=scale_name, shape=scale_shape, initializer="ones", trainable=False),
    )


def quantize_weight(
    layer: Any,
    name: str,
    axis: int | tuple[int, ...],
    arrange: Callable[[torch.Tensor], torch.Tensor] | None = None,
    weight_quantizer: Any = None,
) -> None:
    """Replaces the float weight `name` of `layer` by its int8 values and scale, reduced over `axis`
    by `weight_quantizer` (`AbsMaxQuantizer` by default). The scale drops the reduced axes, or is
    laid out by `arrange` (given it with the reduced axes kept as size 1). Marks the layer int8."""
    value = getattr(layer, name).detach()
    quantizer = weight_quantizer or AbsMaxQuantizer()
    quantized, scale = quantizer(value, axis=axis, to_numpy=True)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    scale = scale.squeeze(tuple(a % value.dim() for a in axes)) if arrange is None else arrange(scale)
    delattr(layer, name)
    add_int8_weight(layer, name, tuple(value.shape), tuple(scale.shape))
    with torch.no_grad():
        getattr(layer, name).copy_(quantized.to(value.device))
        getattr(layer, f"{name}_scale").copy_(scale.to(value.device))
    set_quantized_policy(layer, "int8")


def add_int4_weights(layer: Any, rows: int, columns: int, block_size: int | None) -> None:
    """Adds Keras's int4 weights of a `(rows, columns)` kernel to `layer`: `kernel`, two values per
    int8 byte along the columns `(rows, ceil(columns / 2))`; `kernel_scale`, one per column
    (`block_size` None or -1) or per block of rows and column `(ceil(rows / block_size), columns)`,
    with then an int8 `kernel_zero` of that shape and `g_idx`, each row's block (float32)."""
    grouped = block_size is not None and block_size > 0
    layer.kernel = layer.add_weight(
        name="kernel", shape=(rows, (columns + 1) // 2), initializer="zeros", dtype="int8", trainable=False
    )
    scale_shape = (-(-rows // block_size), columns) if grouped else (columns,)
    layer.kernel_scale = layer.add_weight(
        name="kernel_scale", shape=scale_shape, initializer="ones", trainable=False
    )
    layer._int4_block_size = block_size if grouped else None
    layer._int4_columns = columns
    if not grouped:
        return
    layer.kernel_zero = layer.add_weight(
        name="kernel_zero", shape=scale_shape, initializer="zeros", dtype="int8", trainable=False
    )
    layer.g_idx = layer.add_weight(
        name="g_idx", shape=(rows,), initializer="zeros", dtype="float32", trainable=False
    )
    with torch.no_grad():
        layer.g_idx.copy_(
            torch.div(torch.arange(rows, dtype=torch.float32), block_size, rounding_mode="floor")
        )


def quantize_int4(
    layer: Any, flat_kernel: torch.Tensor, block_size: int | None, weight_quantizer: Any
) -> None:
    """Replaces `layer.kernel` by the int4 weights of `flat_kernel` `(rows, columns)`: abs-max per
    column (by `weight_quantizer`), or asymmetric per block of `block_size` rows."""
    rows, columns = flat_kernel.shape
    grouped = block_size is not None and block_size > 0
    device = flat_kernel.device
    if grouped:
        values, scale, zero = abs_max_quantize_grouped_with_zero_point(flat_kernel, block_size, to_numpy=True)
    else:
        values, scale = weight_quantizer(flat_kernel, axis=0, to_numpy=True)
        scale = scale.squeeze(0)
    packed, _, _ = pack_int4(values.cpu(), axis=-1)
    delattr(layer, "kernel")
    add_int4_weights(layer, rows, columns, block_size)
    with torch.no_grad():
        layer.kernel.copy_(packed.to(device))
        layer.kernel_scale.copy_(scale.to(device))
        if grouped:
            layer.kernel_zero.copy_(zero.to(device))


def dequantize_int4(layer: Any, dtype: torch.dtype) -> torch.Tensor:
    """The float `(rows, columns)` kernel of an int4 layer, in `dtype` (its inputs' gradient too)."""
    values = unpack_int4(layer.kernel, layer._int4_columns, axis=-1)
    if layer._int4_block_size is None:
        return values.to(dtype) / layer.kernel_scale.to(dtype)
    # `g_idx` of int4 is always whole blocks of rows (`row // block_size`), so Keras's
    # `dequantize_with_sz_map(values, scale, zero, g_idx)` is a blocked broadcast here.
    scale, zero = layer.kernel_scale, layer.kernel_zero
    rows, columns = values.shape
    groups = scale.shape[0]
    padding = groups * layer._int4_block_size - rows
    blocks = torch.nn.functional.pad(values.to(scale.dtype), (0, 0, 0, padding)).view(groups, -1, columns)
    kernel = (blocks - zero.to(scale.dtype)[:, None]) * scale[:, None]
    return kernel.view(-1, columns)[:rows].to(dtype)


def unpack_int4_kernel(layer: Any) -> torch.Tensor:
    """The int4 values of `layer.kernel` as an int8 `(rows, columns)` tensor."""
    return unpack_int4(layer.kernel, layer._int4_columns, axis=-1)


class _QuantizedContract(torch.autograd.Function):
    """`contract(inputs, kernel) / output_scale`, with the inputs quantized on the fly when an
    `inputs_quantizer` is given; the inputs' gradient goes through `dequantize(kernel)` (the
    quantized kernel itself is frozen)."""

    @staticmethod
    def forward(
        ctx: Any, inputs, kernel, kernel_scale, contract, axis, output_scale, dtype, quantizer, dequantize
    ):  # noqa: ANN001
        inputs_scale = None
        quantized = inputs
        if quantizer is not None:
            quantized, inputs_scale = quantizer(inputs, axis=axis)
            inputs_scale = inputs_scale.to(dtype)
        outputs = contract(quantized.to(dtype), kernel.to(dtype)).to(dtype)
        kernel_scale = kernel_scale.to(dtype)
        ctx.save_for_backward(inputs, kernel, kernel_scale)
        ctx.contract = contract
        ctx.dequantize = dequantize
        return outputs / output_scale(inputs_scale, kernel_scale)

    @staticmethod
    def backward(ctx: Any, upstream):  # noqa: ANN001
        inputs, kernel, kernel_scale = ctx.saved_tensors
        float_kernel = ctx.dequantize(kernel.to(upstream.dtype), kernel_scale.to(upstream.dtype))
        with torch.enable_grad():
            leaf = inputs.detach().to(upstream.dtype).requires_grad_(True)
            (grad,) = torch.autograd.grad(ctx.contract(leaf, float_kernel), leaf, upstream)
        return grad.to(inputs.dtype), None, None, None, None, None, None, None, None


def _product(inputs_scale: torch.Tensor | None, kernel_scale: torch.Tensor) -> torch.Tensor:
    return kernel_scale if inputs_scale is None else inputs_scale * kernel_scale


def _divide(kernel: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return kernel / scale


def int8_contract(
    inputs: torch.Tensor,
    kernel: torch.Tensor,
    kernel_scale: torch.Tensor,
    contract: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    axis: int | tuple[int, ...],
    output_scale: Callable[[torch.Tensor | None, torch.Tensor], torch.Tensor] | None = None,
    dtype: str | None = None,
    inputs_quantizer: Any = "default",
    dequantize: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """`contract(inputs, kernel)` divided by `output_scale(inputs_scale, kernel_scale)` (their
    product by default), in the compute `dtype` (the inputs' by default), as Keras's int8 and
    per-channel int4 layers compute.

    The inputs are quantized over `axis` by `inputs_quantizer` (`AbsMaxQuantizer()` by default;
    `None` keeps them float and `inputs_scale` is `None`). `dequantize(kernel, kernel_scale)` gives
    the float kernel of the inputs' gradient (`kernel / kernel_scale` by default)."""
    torch_dtype = inputs.dtype if dtype is None else _config.torch_dtype(dtype)
    if isinstance(inputs_quantizer, str):
        inputs_quantizer = AbsMaxQuantizer()
    return _QuantizedContract.apply(
        inputs,
        kernel,
        kernel_scale,
        contract,
        axis,
        output_scale or _product,
        torch_dtype,
        inputs_quantizer,
        dequantize or _divide,
    )


# Keras's float8 variables, in its file order (after `kernel` and `bias`).
FLOAT8_VARIABLES = (
    "inputs_scale",
    "inputs_amax_history",
    "kernel_scale",
    "kernel_amax_history",
    "outputs_grad_scale",
    "outputs_grad_amax_history",
)
_E4M3_MAX = float(torch.finfo(torch.float8_e4m3fn).max)
_E5M2_MAX = float(torch.finfo(torch.float8_e5m2).max)


def add_float8_variables(layer: Any) -> None:
    """Adds Keras's float8 training state to `layer`: a float32 scale and a history of absolute
    maxima for the inputs, the kernel and the outputs' gradient. The optimizer overwrites them
    with their "gradients" (the next scale and history) instead of descending."""
    length = getattr(layer.dtype_policy, "amax_history_length", 1024)
    for name in FLOAT8_VARIABLES:
        shape = (length,) if name.endswith("amax_history") else ()
        variable = layer.add_weight(
            name=name,
            shape=shape,
            initializer="zeros" if shape else "ones",
            dtype="float32",
            trainable=True,
            autocast=False,
            overwrite_with_gradient=True,
        )
        setattr(layer, name, variable)


class _QuantizeDequantize(torch.autograd.Function):
    """Forward: `x` through float8 e4m3 at `scale`. Backward: the gradient passes straight
    through; in training, `scale` and `amax_history` receive their next values."""

    @staticmethod
    def forward(ctx: Any, x, scale, amax_history, training, dtype):  # noqa: ANN001
        ctx.updates = None
        if training:
            ctx.updates = (
                compute_float8_scale(amax_history.max(), scale, _E4M3_MAX),
                compute_float8_amax_history(x.detach(), amax_history),
            )
        return quantize_and_dequantize(x, scale, "float8_e4m3fn", dtype)

    @staticmethod
    def backward(ctx: Any, upstream):  # noqa: ANN001
        new_scale, new_history = ctx.updates or (None, None)
        return upstream, new_scale, new_history, None, None


class _QuantizeDequantizeGradient(torch.autograd.Function):
    """Forward: identity. Backward: the gradient through float8 e5m2 at `scale`; `scale` and
    `amax_history` receive their next values."""

    @staticmethod
    def forward(ctx: Any, x, scale, amax_history, dtype):  # noqa: ANN001
        ctx.save_for_backward(scale, amax_history)
        ctx.dtype = dtype
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, upstream):  # noqa: ANN001
        scale, amax_history = ctx.saved_tensors
        new_scale = compute_float8_scale(amax_history.max(), scale, _E5M2_MAX)
        gradient = quantize_and_dequantize(upstream, scale, "float8_e5m2", ctx.dtype)
        return gradient, new_scale, compute_float8_amax_history(upstream, amax_history), None


def float8_contract(
    layer: Any,
    inputs: torch.Tensor,
    contract: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    training: bool,
) -> torch.Tensor:
    """Keras's float8 training step of `contract(inputs, layer.kernel)`: inputs and kernel pass
    through float8 e4m3 and the outputs' gradient through e5m2, each at its delayed scale."""
    dtype = layer.compute_dtype
    training = bool(training)
    inputs = _QuantizeDequantize.apply(inputs, layer.inputs_scale, layer.inputs_amax_history, training, dtype)
    kernel = _QuantizeDequantize.apply(
        layer.kernel, layer.kernel_scale, layer.kernel_amax_history, training, dtype
    )
    outputs = contract(inputs, kernel)
    return _QuantizeDequantizeGradient.apply(
        outputs, layer.outputs_grad_scale, layer.outputs_grad_amax_history, dtype
    )


def float8_bias(bias: torch.Tensor, compute_dtype: str) -> torch.Tensor:
    """The bias as Keras's float8 layers add it: rounded through bfloat16 under float32, else
    cast to the compute dtype."""
    if compute_dtype == "float32":
        return bias.to(torch.bfloat16).to(bias.dtype)
    return bias.to(_config.torch_dtype(compute_dtype))


def matches_filters(layer: Any, filters: Any) -> bool:
    """Keras's quantization layer filter: a regex on the name, a list of them, or a predicate."""
    if filters is None:
        return True
    if isinstance(filters, str):
        return re.search(filters, layer.name) is not None
    if isinstance(filters, (list, tuple)):
        return any(re.search(pattern, layer.name) for pattern in filters)
    return bool(filters(layer))
