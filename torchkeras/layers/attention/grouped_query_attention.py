"""`GroupedQueryAttention`: multi-head attention whose key/value heads are shared by groups of
query heads."""

from __future__ import annotations

import math
from typing import Any

from torchkeras.layers.attention.base_multi_head_attention import BaseMultiHeadAttention, public_attributes
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int, invalid

__all__ = ["GroupQueryAttention", "GroupedQueryAttention"]


@register_builtin
@public_attributes(
    "dropout", "use_bias", "use_gate", "sliding_window", "kernel_initializer", "bias_initializer",
    "kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint",
)  # fmt: skip
class GroupedQueryAttention(BaseMultiHeadAttention):
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
        self._set_shared_arguments(
            dropout, use_bias, sliding_window, flash_attention, kernel_initializer, bias_initializer,
            kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint,
            use_gate, seed,
        )  # fmt: skip
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self.head_dim))

    def build(self, query_shape: tuple, value_shape: tuple, key_shape: tuple | None = None) -> None:
        query_shape, value_shape, key_shape = self._checked_shapes(query_shape, value_shape, key_shape)
        self.feature_dim = query_shape[-1]
        query_heads, kv_heads = (
            (self.num_query_heads, self.head_dim),
            (self.num_key_value_heads, self.head_dim),
        )
        self._query_dense = self._sublayer("query", "bqm,muh->bquh", (None, *query_heads), "uh")
        self._query_dense.build(query_shape)
        self._key_dense = self._sublayer("key", "bkm,mvh->bkvh", (None, *kv_heads), "vh")
        self._key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._sublayer("gate", "bqm,muh->bquh", (None, *query_heads), "uh", "sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = self._sublayer("value", "bkm,mvh->bkvh", (None, *kv_heads), "vh")
        self._value_dense.build(value_shape)
        self._build_attention(4)
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
        super()._check_shapes(query_shape, value_shape, key_shape)

    def _check_inputs(self, query, value, key) -> None:
        self._check_shapes(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        if query.shape[-1] != self.feature_dim or key.shape[-1] != self._key_dense._kernel_shape[0]:
            raise ValueError(
                f"{self._owner}: `query` and `key` must keep the last dimensions the layer was built with "
                f"({self.feature_dim}, {self._key_dense._kernel_shape[0]}). "
                f"Received: query.shape={tuple(query.shape)}, key.shape={tuple(key.shape)}"
            )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "sliding_window": self._sliding_window,
            "dropout": self._dropout,
            **self._projections_config(),
        }


GroupQueryAttention = GroupedQueryAttention  # Keras exports the class under this name
register_builtin(GroupedQueryAttention, "GroupQueryAttention")
