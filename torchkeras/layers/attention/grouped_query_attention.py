"""`GroupedQueryAttention`: multi-head attention whose key/value heads are shared by groups of
query heads."""

from __future__ import annotations

import math
from typing import Any

import torch

from torchkeras import constraints, initializers, regularizers
from torchkeras.layers.attention import attention_utils as attention
from torchkeras.layers.core.einsum_dense import EinsumDense
from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int, check_rate, invalid

__all__ = ["GroupQueryAttention", "GroupedQueryAttention"]


@register_builtin
class GroupedQueryAttention(SeededRandomness, Layer):
    """Grouped-query attention (Ainslie et al., 2023): `num_query_heads` query heads share
    `num_key_value_heads` key/value heads, each group of `num_query_heads // num_key_value_heads`
    query heads attending with the same keys and values. With as many key/value heads as query
    heads it is multi-head attention; with one, multi-query attention.

    Weights follow Keras: query kernel `(dim, num_query_heads, head_dim)`, key and value kernels
    `(dim, num_key_value_heads, head_dim)` (biases without the first axis), output kernel
    `(num_query_heads, head_dim, dim)` and bias `(dim,)`.

    Args:
        head_dim: size of each attention head.
        num_query_heads: number of query heads.
        num_key_value_heads: number of key/value heads; must divide `num_query_heads`.
        dropout: dropout rate on the attention probabilities.
        use_bias: whether the projections have biases.
        sliding_window: optional positive int: query `i` only sees keys `j` with `|i - j| < window`.
        flash_attention: `True` insists on torch's flash kernel, `False` excludes it, `None` lets
            torch choose.
        kernel_initializer, bias_initializer: initializers of the projections.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties of the
            projections.
        kernel_constraint, bias_constraint: optional constraints of the projections.
        use_gate: whether to gate the heads by `sigmoid` of another query projection.
        seed: optional integer seed of the dropout.

    Call arguments:
        query: `(B, T, dim)`. value: `(B, S, dim)`. key: optional `(B, S, dim)`; `value` by default.
        query_mask, value_mask, key_mask: optional `(B, T)` / `(B, S)` padding masks; by default
            read from the inputs' Keras masks.
        attention_mask: optional boolean `(B, T, S)` mask, true where query `i` may attend key `j`.
        return_attention_scores: whether to also return the `(B, num_query_heads, T, S)` scores.
        training: whether dropout is active.
        use_causal_mask: whether query `i` may only attend keys `j <= i`.

    Returns:
        `(B, T, dim)`, plus the scores when `return_attention_scores`.
    """

    def __init__(
        self,
        head_dim: int,
        num_query_heads: int,
        num_key_value_heads: int,
        dropout: float = 0.0,
        use_bias: bool = True,
        sliding_window: int | None = None,
        flash_attention: bool | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_gate: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        owner = self._owner = f"GroupedQueryAttention '{self.name}'"
        self.head_dim = check_positive_int(head_dim, "head_dim", owner)
        self.num_query_heads = check_positive_int(num_query_heads, "num_query_heads", owner)
        self.num_key_value_heads = check_positive_int(num_key_value_heads, "num_key_value_heads", owner)
        if num_query_heads % num_key_value_heads != 0:
            raise invalid(
                "num_key_value_heads",
                f"must divide `num_query_heads` ({num_query_heads})",
                num_key_value_heads,
                owner,
            )
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = check_rate(dropout, "dropout", owner)
        self.use_bias = use_bias
        self.use_gate = use_gate
        if sliding_window is not None:
            check_positive_int(sliding_window, "sliding_window", owner)
        self.sliding_window = sliding_window
        if flash_attention and self.dropout > 0:
            raise invalid("dropout", "must be 0 when flash attention is enabled", dropout, owner)
        self._flash_attention = flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(self.head_dim))
        self.supports_masking = True

    def build(
        self,
        query_shape: tuple,
        value_shape: tuple,
        key_shape: tuple | None = None,
    ) -> None:
        key_shape = value_shape if key_shape is None else key_shape
        self._check_shapes(tuple(query_shape), tuple(value_shape), tuple(key_shape))
        self.feature_dim = query_shape[-1]
        query_heads, kv_heads = (
            (self.num_query_heads, self.head_dim),
            (self.num_key_value_heads, self.head_dim),
        )
        self._query_dense = self._sublayer("query", "bqm,muh->bquh", (None, *query_heads), "uh")
        self._query_dense.build(query_shape)
        self._key_dense = self._sublayer("key", "bkm,mvh->bkvh", (None, *kv_heads), "vh")
        self._key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = self._sublayer("gate", "bqm,muh->bquh", (None, *query_heads), "uh", "sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = self._sublayer("value", "bkm,mvh->bkvh", (None, *kv_heads), "vh")
        self._value_dense.build(value_shape)
        self._output_dense = self._sublayer(
            "attention_output", "bquh,uhm->bqm", (None, self.feature_dim), "m"
        )
        self._output_dense.build((None, None, *query_heads))

    def _check_shapes(self, query_shape: tuple, value_shape: tuple, key_shape: tuple) -> None:
        owner = self._owner
        for argument, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                raise invalid(
                    argument, "must have rank 3 (batch, sequence, features)", f"shape {shape}", owner
                )
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                f"{owner}: the last dimension of `query` and `value` must be equal. "
                f"Received: query_shape={query_shape}, value_shape={value_shape}"
            )
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"{owner}: all dimensions of `value` and `key`, except the last one, must be "
                f"equal. Received: value_shape={value_shape} and key_shape={key_shape}"
            )

    def _sublayer(
        self, name: str, equation: str, output_shape: tuple, bias_axes: str, activation: Any = None
    ):
        layer = EinsumDense(
            equation,
            output_shape=output_shape,
            activation=activation,
            bias_axes=bias_axes if self.use_bias else None,
            kernel_initializer=self.kernel_initializer.clone(),
            bias_initializer=self.bias_initializer.clone(),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self._activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self.dtype_policy,
            name=name,
        )
        layer._build_device = self._build_device
        return layer

    def call(
        self,
        query: torch.Tensor,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: bool | None = None,
        use_causal_mask: bool = False,
    ) -> Any:
        value, key, masks = attention.call_inputs(
            query,
            value,
            key,
            query_mask,
            value_mask,
            key_mask,
            attention_mask,
            return_attention_scores,
            self._flash_attention,
            self._owner,
        )
        self._check_call(query, value, key, *masks)
        # A causal mask alone goes to the fused kernel's `is_causal` (unless a subclass computes
        # its own attention and needs the mask itself).
        causal_only = (
            use_causal_mask
            and all(m is None for m in masks)
            and self.sliding_window is None
            and type(self)._compute_attention is GroupedQueryAttention._compute_attention
        )
        mask = None
        if not causal_only:
            mask = attention.merge_masks(query, value, *masks, use_causal_mask, self.sliding_window)

        gate = self._gate_dense(query) if self.use_gate else None
        output, scores = self._compute_attention(
            self._query_dense(query),
            self._key_dense(key),
            self._value_dense(value),
            mask,
            training,
            return_attention_scores,
            causal_only,
        )
        output = self._output_dense(output if gate is None else output * gate)
        return (output, scores) if return_attention_scores else output

    def _check_call(self, query, value, key, query_mask, value_mask, key_mask, attention_mask) -> None:
        owner = self._owner
        self._check_shapes(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        if query.shape[-1] != self.feature_dim or key.shape[-1] != self._key_dense.kernel.shape[0]:
            raise ValueError(
                f"{owner}: `query` and `key` must keep the last dimensions the layer was built with "
                f"({self.feature_dim}, {self._key_dense.kernel.shape[0]}). "
                f"Received: query.shape={tuple(query.shape)}, key.shape={tuple(key.shape)}"
            )
        attention.check_mask_shape(query_mask, tuple(query.shape[:-1]), "query_mask", owner)
        attention.check_mask_shape(value_mask, tuple(value.shape[:-1]), "value_mask", owner)
        attention.check_mask_shape(key_mask, tuple(key.shape[:-1]), "key_mask", owner)
        expected = (query.shape[0], query.shape[1], value.shape[1])
        attention.check_mask_shape(attention_mask, expected, "attention_mask", owner)

    def _compute_attention(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        attention_mask: torch.Tensor | None,
        training: bool | None,
        return_attention_scores: bool,
        use_causal_mask: bool,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attention of projected `(B, T, heads, head_dim)` tensors: (output, scores or None)."""
        dropout = self.dropout if training else 0.0
        fused = attention.fused_is_exact(
            return_attention_scores, query.ndim, self.dropout, bool(training), attention_mask, self.seed
        )
        if fused:
            if attention_mask is not None:
                attention_mask = attention.expand_mask(attention_mask, 4, -3)
            output = attention.scaled_dot_product_attention(
                query,
                key,
                value,
                attention_mask,
                self._inverse_sqrt_head_dim,
                is_causal=use_causal_mask,
                dropout=dropout,
                flash_attention=self._flash_attention,
                enable_gqa=self.num_repeats > 1,
            )
            return output, None
        if use_causal_mask:
            causal = attention.causal_mask(query.shape[1], value.shape[1], query.device)
            attention_mask = causal if attention_mask is None else attention_mask & causal
        key = torch.repeat_interleave(key, self.num_repeats, dim=2)
        value = torch.repeat_interleave(value, self.num_repeats, dim=2)
        query = query * self._inverse_sqrt_head_dim
        scores = torch.einsum("bquh,bkuh->buqk", query, key)
        if attention_mask is not None:
            attention_mask = attention.expand_mask(attention_mask, 4, -3)
        scores = attention.masked_softmax(scores, attention_mask, (-1,))
        probabilities = attention.drop_probabilities(scores, dropout, self)
        return torch.einsum("buqk,bkuh->bquh", probabilities, value), scores

    def compute_output_shape(
        self, query_shape: tuple, value_shape: tuple, key_shape: tuple | None = None
    ) -> tuple:
        key_shape = value_shape if key_shape is None else key_shape
        self._check_shapes(tuple(query_shape), tuple(value_shape), tuple(key_shape))
        return tuple(query_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }


GroupQueryAttention = GroupedQueryAttention  # Keras exports the class under this name
register_builtin(GroupedQueryAttention, "GroupQueryAttention")
