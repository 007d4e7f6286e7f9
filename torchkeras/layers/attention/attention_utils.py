"""Einsum equations, masks and scaled dot-product attention shared by `MultiHeadAttention` and
`GroupedQueryAttention`, with Keras's numerics on masked positions."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.nest import to_tensor

__all__ = [
    "as_tensor_like",
    "attention_equations",
    "call_inputs",
    "causal_mask",
    "check_mask_shape",
    "drop_probabilities",
    "expand_mask",
    "fused_is_exact",
    "masked_softmax",
    "merge_masks",
    "projection_equation",
    "scaled_dot_product_attention",
    "sliding_window_mask",
]

_NOT_FLASH = [SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION, SDPBackend.MATH]


def projection_equation(free: int, bound: int, produced: int) -> tuple[str, str]:
    """(equation, bias axes) of a projection keeping `free` axes, contracting `bound` axes with the
    kernel and producing `produced` new ones, e.g. `(2, 1, 2)` -> `("abc,cde->abde", "de")`."""
    letters = string.ascii_lowercase
    kept, contracted = letters[:free], letters[free : free + bound]
    new = letters[free + bound : free + bound + produced]
    return f"{kept}{contracted},{contracted}{new}->{kept}{new}", new


def attention_equations(rank: int, axes: tuple[int, ...]) -> tuple[str, str, int]:
    """(key-query equation, combine equation, scores rank) for projected tensors of `rank` axes
    `(batch, <other axes>, <attention axes>, heads, dim)` attending over `axes`."""
    letters = string.ascii_lowercase
    query = letters[:rank]
    batch = [i for i in range(rank - 1) if i not in axes]  # includes the heads axis
    spare = iter(letters[rank:])
    key = "".join(query[i] if i in batch or i == rank - 1 else next(spare) for i in range(rank))
    scores = "".join([query[i] for i in batch] + [query[i] for i in axes] + [key[i] for i in axes])
    return f"{key},{query}->{scores}", f"{scores},{key}->{query}", len(scores)


def as_tensor_like(value: Any, query: torch.Tensor, dtype: torch.dtype | None = None) -> Any:
    """`value` (a tensor, array or `None`) on the query's device, in `dtype` if given, else in the
    query's dtype when floating (`None` stays `None`)."""
    if value is None:
        return None
    value = to_tensor(value, device=query.device)
    wanted = dtype or (query.dtype if value.is_floating_point() else None)
    return value if wanted is None or value.dtype == wanted else value.to(wanted)


def call_inputs(
    query: torch.Tensor,
    value: Any,
    key: Any,
    query_mask: Any,
    value_mask: Any,
    key_mask: Any,
    attention_mask: Any,
    return_attention_scores: bool,
    flash_attention: bool | None,
    owner: str,
) -> tuple[torch.Tensor, torch.Tensor, list]:
    """`(value, key, [query_mask, value_mask, key_mask, attention_mask])` as tensors like `query`.

    Padding masks not given are read from the Keras masks the inputs carry (e.g. from
    `Embedding(mask_zero=True)`); a missing `key` is `value` and has no mask of its own.
    """
    if flash_attention and return_attention_scores:
        raise ValueError(
            f"{owner}: returning attention scores is not supported when flash attention is enabled. "
            "Set `flash_attention=None` (or False) to access the scores."
        )
    query_mask = getattr(query, "_keras_mask", None) if query_mask is None else query_mask
    value_mask = getattr(value, "_keras_mask", None) if value_mask is None else value_mask
    if key is not None and key_mask is None:
        key_mask = getattr(key, "_keras_mask", None)
    value = as_tensor_like(value, query)
    key = value if key is None else as_tensor_like(key, query)
    masks = [as_tensor_like(m, query, torch.bool) for m in (query_mask, value_mask, key_mask, attention_mask)]
    return value, key, masks


def fused_is_exact(
    return_attention_scores: bool, rank: int, rate: float, training: bool, mask: Any, seed: int | None
) -> bool:
    """Whether the fused kernel may replace the explicit softmax: where Keras uses it (no scores,
    4D projections, no dropout), and on unmasked calls whose dropout needs no seed. (The two only
    differ on fully masked rows, and the fused dropout draws from torch's global generator.)"""
    if return_attention_scores or rank != 4:
        return False
    return rate == 0 or (mask is None and (not training or seed is None))


def drop_probabilities(probabilities: torch.Tensor, rate: float, random: SeededRandomness) -> torch.Tensor:
    """Dropout on attention probabilities, from the layer's seeded stream if it has a seed."""
    if rate == 0:
        return probabilities
    if random.seed is None:
        return F.dropout(probabilities, rate, training=True)
    keep = random.keep_mask(tuple(probabilities.shape), rate, probabilities)
    return probabilities * keep / (1.0 - rate)


def causal_mask(query_length: int, key_length: int, device: torch.device) -> torch.Tensor:
    """`(1, T, S)` boolean mask, true where query position `i` may see key position `j <= i`."""
    return torch.ones(query_length, key_length, dtype=torch.bool, device=device).tril().unsqueeze(0)


def sliding_window_mask(
    query_length: int, key_length: int, window: int, device: torch.device
) -> torch.Tensor:
    """`(1, T, S)` boolean band, true where `|i - j| < window`."""
    rows = torch.arange(query_length, device=device).view(1, -1, 1)
    columns = torch.arange(key_length, device=device).view(1, 1, -1)
    return (rows - columns).abs() < window


def check_mask_shape(mask: torch.Tensor | None, expected: Sequence[int], argument: str, owner: str) -> None:
    """Raises the house error unless `mask` broadcasts to `expected` without growing its rank."""
    if mask is None:
        return
    shape = tuple(mask.shape)
    fits = len(shape) <= len(expected) and all(
        m in (1, e) for m, e in zip(reversed(shape), reversed(expected))
    )
    if not fits:
        raise ValueError(
            f"{owner}: `{argument}` must have a shape broadcastable to {tuple(expected)}. "
            f"Received: {argument}.shape={shape}"
        )


def merge_masks(
    query: torch.Tensor,
    value: torch.Tensor,
    query_mask: torch.Tensor | None,
    value_mask: torch.Tensor | None,
    key_mask: torch.Tensor | None,
    attention_mask: torch.Tensor | None,
    use_causal_mask: bool,
    sliding_window: int | None,
) -> torch.Tensor | None:
    """One boolean `(B, T, S)` mask: the query mask as `(B, T, 1)`, the value and key masks as
    `(B, 1, S)`, the causal and sliding-window bands and `attention_mask`, combined with AND."""
    parts = []
    if query_mask is not None:
        parts.append(query_mask.bool().unsqueeze(-1))
    if value_mask is not None:
        parts.append(value_mask.bool().unsqueeze(-2))
    if key_mask is not None:
        parts.append(key_mask.bool().unsqueeze(-2))
    if use_causal_mask:
        parts.append(causal_mask(query.shape[1], value.shape[1], query.device))
    if sliding_window is not None:
        parts.append(sliding_window_mask(query.shape[1], value.shape[1], sliding_window, query.device))
    if attention_mask is not None:
        parts.insert(0, attention_mask.bool())
    if not parts:
        return None
    merged = parts[0]
    for part in parts[1:]:
        merged = merged & part
    return merged


def expand_mask(mask: torch.Tensor, rank: int, axis: int) -> torch.Tensor:
    """Inserts size-1 axes at `axis` (negative) until `mask` has `rank` axes (the heads axis)."""
    for _ in range(rank - mask.ndim):
        mask = mask.unsqueeze(axis)
    return mask


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None, axes: tuple[int, ...]) -> torch.Tensor:
    """Softmax over `axes`; masked-out scores become -1e9 (-3e4 in float16) before it and exact
    zeros after it, so a fully masked row gives zeros, as Keras's `Softmax` layer does."""
    if mask is not None:
        fill = -3e4 if scores.dtype == torch.float16 else -1e9
        scores = scores.masked_fill(~mask, fill)
    if len(axes) == 1:
        probabilities = torch.softmax(scores, dim=axes[0])
    else:
        probabilities = torch.exp(scores - torch.logsumexp(scores, dim=axes, keepdim=True))
    if mask is not None:
        probabilities = probabilities.masked_fill(~mask, 0.0)
    return probabilities


def scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None,
    scale: float,
    is_causal: bool = False,
    dropout: float = 0.0,
    flash_attention: bool | None = None,
    enable_gqa: bool = False,
) -> torch.Tensor:
    """`torch.nn.functional.scaled_dot_product_attention` on `(B, T, heads, dim)` tensors.

    A boolean `mask` (broadcastable to `(B, heads, T, S)`) becomes an additive bias of
    `-0.7 * max_float`, as in Keras's torch backend, so a fully masked row averages the values
    uniformly instead of producing NaN. `flash_attention=True` insists on the flash kernel,
    `False` excludes it, `None` lets torch choose.
    """
    if mask is not None:
        largest = 65500.0 if query.dtype == torch.float16 else 3.38953e38
        bias = torch.zeros(mask.shape, dtype=query.dtype, device=query.device)
        mask = bias.masked_fill_(~mask, -0.7 * largest)
        is_causal = False  # the merged mask already holds the causal band
    arguments = (query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2))
    options = {"attn_mask": mask, "dropout_p": dropout, "is_causal": is_causal, "scale": scale}
    if enable_gqa:
        options["enable_gqa"] = True
    if flash_attention is None:
        output = F.scaled_dot_product_attention(*arguments, **options)
    else:
        backends = [SDPBackend.FLASH_ATTENTION] if flash_attention else _NOT_FLASH
        with sdpa_kernel(backends):
            output = F.scaled_dot_product_attention(*arguments, **options)
    return output.transpose(1, 2)
