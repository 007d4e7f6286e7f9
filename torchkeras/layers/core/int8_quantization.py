"""Int8 weight quantization shared by `Dense`, `EinsumDense` and `Embedding` (Keras's "int8" mode).

A quantized layer keeps its weight as an int8 tensor under the same name (`kernel`,
`embeddings`) beside a float scale (`kernel_scale`, `embeddings_scale`), per output channel:
`weight ≈ int8_weight / scale`. Its policy becomes `"int8_from_<source>"`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchkeras import config
from torchkeras.dtype_policies import QUANTIZATION_MODES
from torchkeras.quantizers import abs_max_quantize

__all__ = ["add_int8_weight", "check_quantize_args", "int8_contract", "quantize_weight"]


def check_quantize_args(layer: Any, mode: str | None, config: Any) -> None:
    """Raises, before anything changes, unless `layer` can be quantized to `mode` now."""
    if config is not None:
        raise ValueError(
            f"Layer '{layer.name}': `config` (a QuantizationConfig) is not supported by torchkeras; "
            f"pass `mode='int8'`. Received: config={config!r}"
        )
    if mode not in QUANTIZATION_MODES:
        raise ValueError(
            f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode!r}"
        )
    if not layer.built:
        raise ValueError(
            f"Cannot quantize a layer that isn't yet built. Layer '{layer.name}' (of type "
            f"'{type(layer).__name__}') is not built yet."
        )
    if layer.quantization_mode is not None:
        raise ValueError(
            f"Layer '{layer.name}' is already quantized with dtype_policy='{layer.dtype_policy}'. "
            f"Received: mode={mode}"
        )
    if layer.compute_dtype == "float16":
        raise ValueError(
            f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'. Consider "
            "another dtype policy such as 'mixed_bfloat16' before calling `quantize()`."
        )


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
) -> None:
    """Replaces the float weight `name` of `layer` by its int8 values and scale, reduced over `axis`
    (Keras's `AbsMaxQuantizer(axis)`). The scale drops the reduced axes, or is laid out by
    `arrange` (given it with the reduced axes kept as size 1). Marks the layer int8."""
    value = getattr(layer, name).detach()
    quantized, scale = abs_max_quantize(value, axis, to_numpy=True)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    scale = scale.squeeze(tuple(a % value.dim() for a in axes)) if arrange is None else arrange(scale)
    delattr(layer, name)
    add_int8_weight(layer, name, tuple(value.shape), tuple(scale.shape))
    with torch.no_grad():
        getattr(layer, name).copy_(quantized.to(value.device))
        getattr(layer, f"{name}_scale").copy_(scale.to(value.device))
    layer._quantization_mode = "int8"


class _Int8Contract(torch.autograd.Function):
    """`contract(quantized inputs, int8 kernel) / (inputs_scale * kernel_scale)`; the inputs'
    gradient goes through the dequantized kernel (the kernel itself is frozen)."""

    @staticmethod
    def forward(ctx: Any, inputs, kernel, kernel_scale, contract, axis, output_scale, dtype):  # noqa: ANN001
        quantized, inputs_scale = abs_max_quantize(inputs, axis)
        outputs = contract(quantized.to(dtype), kernel.to(dtype)).to(dtype)
        inputs_scale, kernel_scale = inputs_scale.to(dtype), kernel_scale.to(dtype)
        ctx.save_for_backward(inputs, kernel, kernel_scale)
        ctx.contract = contract
        scale = (
            inputs_scale * kernel_scale if output_scale is None else output_scale(inputs_scale, kernel_scale)
        )
        return outputs / scale

    @staticmethod
    def backward(ctx: Any, upstream):  # noqa: ANN001
        inputs, kernel, kernel_scale = ctx.saved_tensors
        float_kernel = kernel.to(upstream.dtype) / kernel_scale.to(upstream.dtype)
        with torch.enable_grad():
            leaf = inputs.detach().to(upstream.dtype).requires_grad_(True)
            (grad,) = torch.autograd.grad(ctx.contract(leaf, float_kernel), leaf, upstream)
        return grad.to(inputs.dtype), None, None, None, None, None, None


def int8_contract(
    inputs: torch.Tensor,
    kernel: torch.Tensor,
    kernel_scale: torch.Tensor,
    contract: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    axis: int | tuple[int, ...],
    output_scale: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    dtype: str | None = None,
) -> torch.Tensor:
    """Inputs quantized on the fly (abs-max over `axis`), contracted with the int8 kernel, and the
    result divided by `output_scale(inputs_scale, kernel_scale)` (their product by default), all in
    the compute `dtype` (the inputs' by default), as Keras's int8 layers compute."""
    torch_dtype = inputs.dtype if dtype is None else config.torch_dtype(dtype)
    return _Int8Contract.apply(inputs, kernel, kernel_scale, contract, axis, output_scale, torch_dtype)
