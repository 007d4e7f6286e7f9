"""Scaled dot-product attention (`keras.ops.nn`) on Keras's `(batch, length, heads, head_dim)` layout."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from torchkeras.ops._convert import ArrayLike, tensor
from torchkeras.ops._symbolic import symbolic_op

__all__ = ["dot_product_attention"]


@symbolic_op
def dot_product_attention(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    bias: ArrayLike | None = None,
    mask: ArrayLike | None = None,
    scale: float | None = None,
    is_causal: bool = False,
    flash_attention: bool | None = None,
    attn_logits_soft_cap: float | None = None,
) -> torch.Tensor:
    """`softmax(query @ key^T * scale + bias) @ value`, per head.

    Args:
        query: `(batch, query_length, heads, head_dim)`.
        key, value: `(batch, key_length, kv_heads, head_dim)`; `heads` must be a multiple of
            `kv_heads` (grouped-query attention).
        bias: optional additive logits, broadcastable to `(batch, heads, query_length, key_length)`.
        mask: optional bool tensor of that shape; `False` positions are not attended. Not with `bias`.
        scale: logit multiplier; default `1 / sqrt(head_dim)`.
        is_causal: attend only to positions at or before each query position.
        flash_attention: `True` requires torch's flash kernel (CUDA, half floats), `False` or
            `None` let torch choose.
        attn_logits_soft_cap: if given, logits become `cap * tanh(logits / cap)` before the softmax.

    Returns:
        `(batch, query_length, heads, head_dim)`.
    """
    query, key, value = tensor(query), tensor(key), tensor(value)
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError(
            "`query`, `key` and `value` must be 4-D (batch, length, heads, head_dim). Received: "
            f"query.shape={tuple(query.shape)}, key.shape={tuple(key.shape)}, "
            f"value.shape={tuple(value.shape)}"
        )
    if bias is not None and mask is not None:
        raise ValueError("Pass either `bias` or `mask` to dot_product_attention, not both.")
    dtype = torch.promote_types(torch.promote_types(query.dtype, key.dtype), value.dtype)
    q, k, v = (t.to(dtype).transpose(1, 2) for t in (query, key, value))  # (batch, heads, length, dim)
    heads, kv_heads = q.shape[1], k.shape[1]
    if heads % kv_heads:
        raise ValueError(f"The query heads ({heads}) must be a multiple of the key/value heads ({kv_heads}).")
    if kv_heads not in (1, heads):
        k = torch.repeat_interleave(k, heads // kv_heads, dim=1)
        v = torch.repeat_interleave(v, heads // kv_heads, dim=1)
    attn_mask = None
    if mask is not None:
        keep = tensor(mask).to(device=q.device, dtype=torch.bool)
        if is_causal:
            keep = keep & _causal(q.shape[2], k.shape[2], q.device)
            is_causal = False
        # A large negative logit rather than a bool mask: a fully masked row then averages all
        # values, as Keras's backends do, instead of giving zeros.
        attn_mask = torch.where(keep, 0.0, _large_negative(dtype)).to(dtype)
    elif bias is not None:
        attn_mask = tensor(bias).to(device=q.device, dtype=dtype)
    if attn_logits_soft_cap is not None:
        out = _explicit(q, k, v, attn_mask, scale, is_causal, attn_logits_soft_cap)
    elif flash_attention:
        with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.FLASH_ATTENTION):
            out = F.scaled_dot_product_attention(q, k, v, attn_mask, is_causal=is_causal, scale=scale)
    else:
        out = F.scaled_dot_product_attention(q, k, v, attn_mask, is_causal=is_causal, scale=scale)
    return out.transpose(1, 2)


def _large_negative(dtype: torch.dtype) -> float:
    return float(torch.finfo(dtype).min) * 0.7


def _causal(query_length: int, key_length: int, device: torch.device) -> torch.Tensor:
    return torch.ones((query_length, key_length), dtype=torch.bool, device=device).tril()


def _explicit(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    attn_mask: torch.Tensor | None,
    scale: float | None,
    is_causal: bool,
    cap: float,
) -> torch.Tensor:
    """Attention written out, for what torch's fused kernel lacks (the soft cap)."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    logits = torch.matmul(q, k.transpose(-1, -2)) * scale
    logits = cap * torch.tanh(logits / cap)
    if attn_mask is not None:
        logits = logits + attn_mask
    if is_causal:
        logits = logits.masked_fill(~_causal(q.shape[2], k.shape[2], q.device), torch.finfo(logits.dtype).min)
    return torch.matmul(torch.softmax(logits, dim=-1), v)
