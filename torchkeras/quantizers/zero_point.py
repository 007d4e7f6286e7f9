"""Asymmetric (zero-point) weight quantization, the arithmetic GPTQ and AWQ share.

A weight matrix `(out_features, in_features)` is cut along `in_features` into groups; each row of
each group gets a float `scale` and an integer `zero`, and

    q = clip(round(w / scale + zero), 0, maxq)        w ≈ scale * (q - zero)

with `maxq = 2**bits - 1`. Scales and zeros are laid out `(out_features, n_groups)`; a `g_idx`
vector maps each input feature to its group.
"""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config as _config

__all__ = [
    "compute_quantization_parameters",
    "dequantize_with_sz_map",
    "dequantize_with_zero_point",
    "group_indices",
    "quantize_with_sz_map",
    "quantize_with_zero_point",
]


def compute_quantization_parameters(
    x: torch.Tensor,
    *,
    bits: int,
    symmetric: bool = False,
    per_channel: bool = False,
    group_size: int = -1,
    compute_dtype: str = "float32",
    epsilon: float = 0.0,
    signed: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Scale and zero point of a 2D weight `x` of shape `(out_features, in_features)`.

    The range `[min, max]` is taken per row and group (`per_channel` with `group_size > 0`; the
    last group zero-padded), per row (`per_channel`), or over the whole tensor. A symmetric range
    is widened to `[-max|x|, max|x|]`, an empty range to `[min - 1, max + 1]`, and an unsigned
    asymmetric range that lies above 0 to `[0, max]` (so the zero point fits in uint8). Then
    `scale = (max - min + epsilon) / maxq` and `zero = round(-min / scale)` (the middle of the
    range when symmetric; shifted by `-2**(bits - 1)` when `signed`).

    Args:
        x: the weight, `(out_features, in_features)`.
        bits: bits per quantized value.
        symmetric: center the range on zero.
        per_channel: one range per output row instead of one for the tensor.
        group_size: columns per group; `-1` for a single group.
        compute_dtype: dtype of `scale` and `maxq`.
        epsilon: added to the range before dividing.
        signed: zero points for the range `[-2**(bits-1), 2**(bits-1) - 1]` instead of `[0, maxq]`.

    Returns:
        `(scale, zero, maxq)`: `scale` `(out_features, n_groups)` in `compute_dtype`, `zero` of the
        same shape in uint8 (int8 when `signed`), and `maxq` a scalar tensor.
    """
    if x is None:
        raise ValueError("`x` must be a weight tensor. Received: x=None")
    if x.dim() < 2:
        raise ValueError(f"`x` must have a rank of at least 2. Received: x.shape={tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"`x` must not be empty. Received: x.shape={tuple(x.shape)}")
    dtype = _config.torch_dtype(compute_dtype)
    out_features, in_features = x.shape[0], x.shape[1]
    n_groups = -(-in_features // group_size) if per_channel and group_size > 0 else 1
    if n_groups > 1:
        padded = torch.nn.functional.pad(x, (0, n_groups * group_size - in_features))
        grouped = padded.reshape(out_features, n_groups, group_size)
        low, high = grouped.amin(dim=2), grouped.amax(dim=2)
    else:
        flat = x.reshape(out_features, -1) if per_channel else x.reshape(1, -1)
        low, high = flat.amin(dim=1), flat.amax(dim=1)
    if symmetric:
        high = torch.maximum(low.abs(), high)
        low = torch.where(low < 0, -high, low)
    empty = low == high
    low = torch.where(empty, low - 1, low)
    high = torch.where(empty, high + 1, high)
    if not symmetric and not signed:
        # An all-positive range would need a negative zero point, which uint8 cannot hold (Keras
        # 3.15 wraps it around, e.g. -3 -> 253); such a range starts at 0 instead.
        low = torch.clamp(low, max=0.0)

    maxq = torch.tensor(2**bits - 1, dtype=dtype, device=x.device)
    span = high - low
    if epsilon > 0:
        span = span + epsilon
    scale = span / maxq
    scale = torch.where(scale <= 0, torch.tensor(1e-8, dtype=scale.dtype, device=x.device), scale)
    if symmetric:
        zero = torch.full_like(scale, (2**bits) / 2)
    else:
        zero = torch.round(-low / scale)
    if signed:
        zero = torch.clamp(zero - 2 ** (bits - 1), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)

    if n_groups == 1:
        scale, zero = scale.reshape(-1, 1), zero.reshape(-1, 1)
        if not per_channel:
            scale, zero = scale.expand(out_features, 1), zero.expand(out_features, 1)
    return scale.contiguous(), zero.to(torch.int8 if signed else torch.uint8), maxq


def quantize_with_zero_point(
    x: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor, maxq: Any
) -> torch.Tensor:
    """`clip(round(x / scale + zero), 0, maxq)`, in `scale`'s float dtype (a zero scale counts as 1e-8)."""
    safe_scale = torch.where(scale == 0, torch.tensor(1e-8, dtype=scale.dtype, device=scale.device), scale)
    quantized = torch.round(x / safe_scale + zero.to(scale.dtype))
    return torch.clamp(quantized, torch.zeros((), dtype=quantized.dtype), torch.as_tensor(maxq).to(quantized))


def dequantize_with_zero_point(q: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor) -> torch.Tensor:
    """`scale * (q - zero)`."""
    return scale * (q.to(scale.dtype) - zero.to(scale.dtype))


def group_indices(in_features: int, group_size: int, device: Any = None) -> torch.Tensor:
    """`g_idx`: the group of each of `in_features` columns (all 0 when `group_size == -1`), as float32."""
    columns = torch.arange(in_features, device=device)
    if group_size == -1:
        return torch.zeros(in_features, dtype=torch.float32, device=device)
    return torch.div(columns, group_size, rounding_mode="floor").to(torch.float32)


def quantize_with_sz_map(
    weights: torch.Tensor,
    scale: torch.Tensor,
    zero: torch.Tensor,
    g_idx: torch.Tensor,
    maxq: Any,
    group_axis: int = -1,
) -> torch.Tensor:
    """Quantizes `weights` with the per-group `scale` / `zero` each position's `g_idx` selects
    (`scale` and `zero` hold the groups along `group_axis`)."""
    groups = g_idx.to(torch.int64)
    return quantize_with_zero_point(
        weights, scale.index_select(group_axis, groups), zero.index_select(group_axis, groups), maxq
    )


def dequantize_with_sz_map(
    weights: torch.Tensor,
    scale: torch.Tensor,
    zero: torch.Tensor,
    g_idx: torch.Tensor,
    group_axis: int = -1,
) -> torch.Tensor:
    """Dequantizes `weights` with the per-group `scale` / `zero` each position's `g_idx` selects."""
    groups = g_idx.to(torch.int64)
    scales = scale.index_select(group_axis, groups)
    zeros = zero.index_select(group_axis, groups).to(scales.dtype)
    return (weights.to(scales.dtype) - zeros) * scales
