"""Weight quantization shared by `Dense`, `EinsumDense` and `Embedding`.

`check_quantize_args` is the one gate every `quantize(mode, type_check, config)` goes through: it
resolves the `QuantizationConfig` (Keras's `validate_and_resolve_config`) and refuses, before
anything changes, a layer that cannot be quantized now. The int8 helpers follow: a quantized
layer keeps its weight as an int8 tensor under the same name (`kernel`, `embeddings`) beside a
float scale (`kernel_scale`, `embeddings_scale`): `weight ≈ int8_weight / scale`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from torchkeras import config as _config
from torchkeras import dtype_policies
from torchkeras.quantizers import AbsMaxQuantizer, QuantizationConfig, deserialize
from torchkeras.quantizers.quantization_config import validate_and_resolve_config

__all__ = [
    "add_int8_weight",
    "check_quantize_args",
    "int8_contract",
    "quantization_config_argument",
    "quantize_weight",
    "set_quantized_policy",
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
    """Gives `layer` the policy `"{policy_mode}_from_<its policy>"` (`"int4/128"` for int4)."""
    layer._quantized_policy = dtype_policies.get(f"{policy_mode}_from_{layer._dtype_policy}")


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
