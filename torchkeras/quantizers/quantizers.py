"""Keras's quantization primitives on torch: abs-max int8, grouped int4, fake quant, float8, int4 packing."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from torchkeras import config as _config
from torchkeras.backend.dtypes import standardize_dtype
from torchkeras.ops._convert import to_torch_dtype
from torchkeras.ops.core import convert_to_tensor
from torchkeras.utils.validation import invalid

__all__ = [
    "AbsMaxQuantizer",
    "Quantizer",
    "abs_max_quantize",
    "abs_max_quantize_grouped_with_zero_point",
    "compute_float8_amax_history",
    "compute_float8_scale",
    "dequantize_with_sz_map",
    "fake_quant_with_min_max_vars",
    "pack_int4",
    "quantize_and_dequantize",
    "unpack_int4",
]

_EPSILON = _config.epsilon()


class Quantizer:
    """Base class of quantizers: `quantizer(x)` returns the quantized `x` (identity here).

    Args:
        output_dtype: the dtype of the quantized values, `"int8"` by default.
    """

    def __init__(self, output_dtype: str = "int8"):
        self.output_dtype = output_dtype

    def __call__(self, x: Any) -> Any:
        """Quantizes `x`; the base class returns it unchanged."""
        return x

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Quantizer:
        """Creates a quantizer from `get_config`'s output."""
        return cls(**config)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments; subclasses must implement it to be serializable."""
        raise NotImplementedError(f"{self} does not implement get_config()")


def _numpy(x: Any) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _device(x: Any) -> torch.device | None:
    return x.device if isinstance(x, torch.Tensor) else None


def abs_max_quantize(
    inputs: Any,
    axis: int | tuple[int, ...],
    value_range: tuple[int, int] = (-127, 127),
    dtype: str = "int8",
    epsilon: float = _EPSILON,
    to_numpy: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric quantization by the absolute maximum along `axis`.

    `scale = value_range[1] / (max(|inputs|, axis) + epsilon)` and
    `quantized = clip(round(inputs * scale), *value_range)`, so `inputs ≈ quantized / scale`.

    Args:
        inputs: the tensor to quantize.
        axis: the axis (or axes) reduced to compute the scale; the scale keeps them as size 1.
        value_range: `(min, max)` of the quantized values.
        dtype: dtype of the quantized tensor.
        epsilon: added to the maximum to avoid a division by zero.
        to_numpy: compute on the host with NumPy (saves device memory).

    Returns:
        `(quantized, scale)`; `scale` has the input's dtype.
    """
    if to_numpy:
        original_dtype = to_torch_dtype(standardize_dtype(inputs.dtype))
        device = _device(inputs)
        array = _numpy(inputs)
        axis_np = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        scale = np.divide(value_range[1], np.add(np.max(np.abs(array), axis=axis_np, keepdims=True), epsilon))
        outputs = np.clip(np.round(np.multiply(array, scale)), value_range[0], value_range[1]).astype(dtype)
        return (
            torch.from_numpy(outputs).to(device),
            torch.from_numpy(np.asarray(scale)).to(device=device, dtype=original_dtype),
        )
    inputs = convert_to_tensor(inputs)
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    scale = value_range[1] / (torch.amax(inputs.abs(), dim=axis, keepdim=True) + epsilon)
    scale = scale.to(inputs.dtype)
    outputs = torch.clamp(torch.round(inputs * scale), value_range[0], value_range[1])
    return outputs.to(to_torch_dtype(dtype)), scale


def abs_max_quantize_grouped_with_zero_point(
    inputs: Any,
    block_size: int,
    value_range: tuple[int, int] = (-8, 7),
    dtype: str = "int8",
    epsilon: float = _EPSILON,
    to_numpy: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Asymmetric quantization of a 2D `(input_dim, output_dim)` tensor in groups of rows.

    Each block of `block_size` rows (the last one zero-padded) gets, per column, a scale
    `(max - min + epsilon) / (qmax - qmin)` and a zero point `clip(round(-min / scale) + qmin)`;
    `quantized = clip(round(inputs / scale) + zero_point, qmin, qmax)`.

    Args:
        inputs: the 2D tensor to quantize.
        block_size: rows per group (positive integer).
        value_range: `(qmin, qmax)` of the quantized values, e.g. `(-8, 7)` for int4.
        dtype: dtype of the quantized tensor.
        epsilon: added to each group's range to avoid a division by zero.
        to_numpy: compute on the host with NumPy (saves device memory).

    Returns:
        `(quantized, scale, zero_point)`: `quantized` has the input's shape; `scale` and the int8
        `zero_point` have shape `(ceil(input_dim / block_size), output_dim)`.
    """
    if not isinstance(block_size, int) or isinstance(block_size, bool) or block_size <= 0:
        raise invalid("block_size", "must be a positive integer", block_size)
    if len(inputs.shape) != 2:
        raise invalid("inputs", "must be a 2D tensor (input_dim, output_dim)", f"shape={tuple(inputs.shape)}")
    qmin, qmax = value_range
    input_dim, output_dim = int(inputs.shape[0]), int(inputs.shape[1])
    n_groups = math.ceil(input_dim / block_size)
    padded_dim = n_groups * block_size
    if to_numpy:
        original_dtype = to_torch_dtype(standardize_dtype(inputs.dtype))
        device = _device(inputs)
        array = _numpy(inputs)
        padded = np.concatenate([array, np.zeros((padded_dim - input_dim, output_dim), array.dtype)], axis=0)
        grouped = padded.reshape(n_groups, block_size, output_dim)
        low = grouped.min(axis=1, keepdims=True)
        high = grouped.max(axis=1, keepdims=True)
        scale = np.divide(np.subtract(high, low) + epsilon, qmax - qmin)
        zero_point = np.clip(np.round(np.divide(-low, scale)) + qmin, qmin, qmax)
        outputs = np.clip(np.round(np.divide(grouped, scale)) + zero_point, qmin, qmax).astype(dtype)
        outputs = outputs.reshape(padded_dim, output_dim)[:input_dim]
        return (
            torch.from_numpy(outputs).to(device),
            torch.from_numpy(np.squeeze(scale, 1)).to(device=device, dtype=original_dtype),
            torch.from_numpy(np.squeeze(zero_point, 1).astype("int8")).to(device),
        )
    inputs = convert_to_tensor(inputs)
    padded = torch.nn.functional.pad(inputs, (0, 0, 0, padded_dim - input_dim))
    grouped = padded.reshape(n_groups, block_size, output_dim)
    low = grouped.amin(dim=1)
    high = grouped.amax(dim=1)
    flat = low == high  # a constant group gets the range [v - 1, v + 1], as Keras does
    low = torch.where(flat, low - 1, low)
    high = torch.where(flat, high + 1, high)
    scale = (high - low + epsilon) / float(2 ** int(math.log2(qmax - qmin + 1)) - 1)
    scale = torch.where(scale <= 0, torch.full_like(scale, 1e-8), scale)
    zero_point = torch.clamp(torch.round(-low / scale) + qmin, qmin, qmax).to(torch.int8)
    outputs = torch.round(grouped / scale[:, None]) + zero_point[:, None]
    outputs = torch.clamp(outputs, qmin, qmax).to(to_torch_dtype(dtype))
    return outputs.reshape(padded_dim, output_dim)[:input_dim], scale, zero_point


class AbsMaxQuantizer(Quantizer):
    """Quantizer by the absolute maximum (`abs_max_quantize`).

    Args:
        axis: deprecated default axis; pass `axis` to the call instead (default `-1`).
        value_range: `(min, max)` of the quantized values.
        epsilon: added to the maximum to avoid a division by zero.
        output_dtype: dtype of the quantized values.

    Call arguments:
        x: the tensor to quantize.
        axis: the reduced axis; `None` uses the constructor's, else `-1`.
        to_numpy: compute on the host with NumPy.

    Returns:
        `(quantized, scale)`.

    Example:
    ```python
    quantized, scale = keras.quantizers.AbsMaxQuantizer()(torch.randn(4, 8), axis=0)
    ```
    """

    def __init__(
        self,
        axis: int | tuple[int, ...] | None = None,
        value_range: tuple[int, int] = (-127, 127),
        epsilon: float = _EPSILON,
        output_dtype: str = "int8",
    ):
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError(
                "Quantizer with output_dtype='int8' requires `value_range` within [-128, 127]. "
                f"Received: value_range={value_range}"
            )
        super().__init__(output_dtype=output_dtype)
        self.axis = None if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        self.value_range = value_range
        self.epsilon = epsilon

    def __call__(
        self, x: Any, axis: int | tuple[int, ...] | None = None, to_numpy: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if axis is None:
            axis = -1 if self.axis is None else self.axis
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon, to_numpy)

    def get_config(self) -> dict[str, Any]:
        config = {"value_range": self.value_range, "epsilon": self.epsilon, "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config


def _nudge(
    low: torch.Tensor, high: torch.Tensor, num_bits: int, narrow_range: bool
) -> tuple[torch.Tensor, ...]:
    """The range moved so that zero is exactly representable: `(min, max, scale, 1 / scale)`."""
    quant_max = (1 << num_bits) - 1
    quant_min = 1 if narrow_range else 0
    span = high - low
    scale = span / (quant_max - quant_min)
    inv_scale = (quant_max - quant_min) / span
    zero_point = torch.round(torch.clamp(quant_min - low / scale, quant_min, quant_max))
    return (quant_min - zero_point) * scale, (quant_max - zero_point) * scale, scale, inv_scale


class _FakeQuant(torch.autograd.Function):
    """Fake quantization with the straight-through gradient inside the range; the clipped parts of
    the gradient go to `min_vals` / `max_vals`."""

    @staticmethod
    def forward(ctx: Any, x, low, high, num_bits, narrow_range, axis):  # noqa: ANN001
        compute = torch.promote_types(low.dtype, torch.float32)
        nudged_min, nudged_max, scale, inv_scale = _nudge(
            low.to(compute), high.to(compute), num_bits, narrow_range
        )
        quant_zero = torch.floor(-nudged_min * inv_scale + 0.5)
        shifted = torch.clamp(x.to(compute), nudged_min, nudged_max) - nudged_min
        result = torch.floor(shifted * inv_scale - quant_zero + 0.5) * scale
        ctx.save_for_backward(x, nudged_min, nudged_max)
        ctx.shapes = (low.shape, high.shape)
        ctx.axis = axis
        return result.to(x.dtype)

    @staticmethod
    def backward(ctx: Any, upstream):  # noqa: ANN001
        x, nudged_min, nudged_max = ctx.saved_tensors
        zero = torch.zeros((), dtype=upstream.dtype, device=upstream.device)
        inside = (x >= nudged_min) & (x <= nudged_max)
        axes = [i for i in range(upstream.dim()) if i != ctx.axis]

        def reduce(mask: torch.Tensor, shape: torch.Size) -> torch.Tensor:
            part = torch.where(mask, upstream, zero)
            total = part.sum(dim=axes) if ctx.axis is not None else part.sum()
            return total.reshape(shape)

        grad_min = reduce(x <= nudged_min, ctx.shapes[0])
        grad_max = reduce(x >= nudged_max, ctx.shapes[1])
        return torch.where(inside, upstream, zero), grad_min, grad_max, None, None, None


def fake_quant_with_min_max_vars(
    inputs: Any,
    min_vals: Any,
    max_vals: Any,
    num_bits: int = 8,
    narrow_range: bool = False,
    axis: int | None = None,
) -> torch.Tensor:
    """Quantizes `inputs` into `[min_vals, max_vals]` on `2**num_bits` levels and back to floats.

    The range is nudged so zero is exact. Gradients pass straight through inside the range; the
    clipped parts flow to `min_vals` and `max_vals`, which can therefore be trained.

    Args:
        inputs: float tensor.
        min_vals, max_vals: a scalar range, or per-channel ranges broadcastable against `inputs`.
        num_bits: the bit width (8 by default).
        narrow_range: use levels `[1, 2**num_bits - 1]` instead of `[0, 2**num_bits - 1]`.
        axis: the channel axis of per-channel ranges; `None` for a per-tensor range.

    Returns:
        A tensor of the inputs' shape and dtype.
    """
    inputs = convert_to_tensor(inputs)
    min_vals = convert_to_tensor(min_vals)
    max_vals = convert_to_tensor(max_vals)
    if axis is not None:
        if not -inputs.dim() <= axis < inputs.dim():
            raise invalid("axis", f"must be within [-{inputs.dim()}, {inputs.dim()})", axis)
        axis = axis % inputs.dim()
    return _FakeQuant.apply(inputs, min_vals, max_vals, int(num_bits), bool(narrow_range), axis)


def compute_float8_scale(amax: Any, scale: Any, dtype_max: float, margin: int = 0) -> torch.Tensor:
    """The new float8 scale from an absolute maximum: `amax / dtype_max * 2**margin`, keeping the
    old `scale` where `amax` is zero or not finite (NVIDIA Transformer Engine's rule)."""
    amax = convert_to_tensor(amax)
    old_factor = torch.reciprocal(convert_to_tensor(scale))
    factor = dtype_max / amax / 2**margin
    factor = torch.where(amax > 0.0, factor, old_factor)
    factor = torch.where(torch.isfinite(amax), factor, old_factor)
    return torch.reciprocal(factor)


def compute_float8_amax_history(x: Any, amax_history: Any) -> torch.Tensor:
    """Rolls `amax_history` one step left and writes `max(|x|)` into its first slot."""
    amax_history = convert_to_tensor(amax_history)
    amax = torch.amax(convert_to_tensor(x).abs()).to(amax_history.dtype)
    rolled = torch.roll(amax_history, shifts=-1, dims=0).clone()
    rolled[0] = amax
    return rolled


def quantize_and_dequantize(
    inputs: Any, scale: Any, quantized_dtype: str, compute_dtype: str
) -> torch.Tensor:
    """`inputs / scale` rounded to a float8 dtype (clipped to its range), then multiplied back.

    Args:
        inputs: the tensor.
        scale: the scale (scalar tensor or number).
        quantized_dtype: `"float8_e4m3fn"` or `"float8_e5m2"`.
        compute_dtype: dtype of the arithmetic and of the result.
    """
    target = to_torch_dtype(quantized_dtype)
    if not target.is_floating_point:
        raise invalid("quantized_dtype", "must be a float dtype such as 'float8_e4m3fn'", quantized_dtype)
    compute = to_torch_dtype(compute_dtype)
    limit = float(torch.finfo(target).max)
    scale = convert_to_tensor(scale).to(compute)
    x = torch.clamp(convert_to_tensor(inputs).to(compute) / scale, -limit, limit)
    return x.to(target).to(compute) * scale


def pack_int4(arr: Any, axis: int = 0, dtype: str = "int8") -> tuple[torch.Tensor, tuple[int, ...], int]:
    """Packs int4 values (int8/uint8 in `[-8, 7]`) two per byte along `axis`.

    The first of each pair goes into the low nibble, the second into the high one; an odd length
    is padded with a zero.

    Args:
        arr: an `int8` or `uint8` tensor of int4 values.
        axis: the axis packed.
        dtype: `"int8"` or `"uint8"`, the dtype of `arr` and of the result.

    Returns:
        `(packed, packed_shape, orig_len)`.
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    if standardize_dtype(arr.dtype) != dtype:
        raise TypeError(f"Expected {dtype} tensor for packing, got {standardize_dtype(arr.dtype)}.")
    device = _device(arr)
    array = np.moveaxis(_numpy(arr), axis, 0)
    length = array.shape[0]
    if length % 2:
        array = np.concatenate([array, np.zeros((1, *array.shape[1:]), array.dtype)], axis=0)
    mask = np.array(0x0F, dtype=dtype)
    low = np.bitwise_and(array[::2].astype(dtype), mask)
    high = np.bitwise_and(array[1::2].astype(dtype), mask)
    packed = np.bitwise_or(low, np.left_shift(high, np.array(4, dtype=dtype))).astype(dtype)
    packed = np.moveaxis(packed, 0, axis)
    return torch.from_numpy(np.ascontiguousarray(packed)).to(device), tuple(packed.shape), length


def unpack_int4(packed: Any, orig_len: int, axis: int = 0, dtype: str = "int8") -> torch.Tensor:
    """Reverses `pack_int4`: two values per byte back along `axis`, padding removed.

    Args:
        packed: the `int8` or `uint8` packed tensor.
        orig_len: the length of `axis` before packing.
        axis: the axis that was packed.
        dtype: `"int8"` (signed values in `[-8, 7]`) or `"uint8"` (nibbles in `[0, 15]`).
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    if standardize_dtype(packed.dtype) not in ("int8", "uint8"):
        raise TypeError(f"Expected int8 or uint8 tensor for unpacking, got {packed.dtype}")
    packed = convert_to_tensor(packed)
    axis = axis % packed.dim()
    low = packed & 0x0F
    high = (packed >> 4) & 0x0F
    if dtype == "int8":
        low = (low ^ 8) - 8
        high = (high ^ 8) - 8
    target = to_torch_dtype(dtype)
    # Interleaved in place along `axis` (no transposes), so the result stays contiguous.
    unpacked = torch.stack([low.to(target), high.to(target)], dim=axis + 1).flatten(axis, axis + 1)
    return unpacked.narrow(axis, 0, orig_len)


def dequantize_with_sz_map(
    weights_matrix: Any, scale: Any, zero: Any, g_idx: Any, group_axis: int = -1
) -> torch.Tensor:
    """`(weights - zero[g]) * scale[g]`, where each position `i` along the grouped axis belongs to
    group `g = g_idx[i]` and `scale` / `zero` hold one row per group along `group_axis`."""
    groups = convert_to_tensor(g_idx).to(torch.int64)
    scale = convert_to_tensor(scale)
    scales = torch.index_select(scale, group_axis, groups)
    zeros = torch.index_select(convert_to_tensor(zero), group_axis, groups).to(scale.dtype)
    return (convert_to_tensor(weights_matrix).to(scale.dtype) - zeros) * scales
