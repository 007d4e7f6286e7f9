"""`MultiHeadAttention`: attention with several heads, as in "Attention is all you need"."""

from __future__ import annotations

import math
from typing import Any

from torchkeras.layers.attention.attention_utils import projection_equation
from torchkeras.layers.attention.base_multi_head_attention import BaseMultiHeadAttention
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int, invalid

__all__ = ["MultiHeadAttention"]


@register_builtin
class MultiHeadAttention(BaseMultiHeadAttention):
    """Multi-head attention: `num_heads` scaled dot-product attentions over learned projections.

    `query`, `key` and `value` are projected to `num_heads` heads (`key_dim` wide for query and
    key, `value_dim` for value); each head attends with `softmax(q k^T / sqrt(key_dim))`, and the
    heads are projected back to the query's last dimension (or `output_shape`). Weights follow
    Keras: kernels `(dim, num_heads, key_dim)` and biases `(num_heads, key_dim)` for query, key
    and value, then the output kernel `(num_heads, value_dim, dim)` and bias `(dim,)`.

    Without attention scores to return and on 3D inputs, the call runs
    `torch.nn.functional.scaled_dot_product_attention`; otherwise an explicit softmax, where a
    fully masked row attends to nothing (zeros), exactly as Keras.

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value; `key_dim` by default.
        dropout: dropout rate on the attention probabilities.
        use_bias: whether the projections have biases.
        output_shape: output size(s) besides the batch and attention axes; by default the
            query's last dimension.
        attention_axes: the input axes attended over; by default all but batch, heads, features.
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
            read from the inputs' Keras masks (e.g. an upstream `Embedding(mask_zero=True)`).
        attention_mask: optional boolean `(B, T, S)` mask, true where query `i` may attend key `j`.
        return_attention_scores: whether to also return the `(B, num_heads, T, S)` probabilities.
        training: whether dropout is active.
        use_causal_mask: whether query `i` may only attend keys `j <= i`.

    Returns:
        `(B, T, dim)` (or `output_shape`), plus the scores when `return_attention_scores`.

    Example:
    ```python
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    y = layer(np.ones((2, 8, 16)), np.ones((2, 5, 16)))  # shape (2, 8, 16)
    ```
    """

    _masks_output = True

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: Any = None,
        attention_axes: Any = None,
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
        owner = self._owner = f"MultiHeadAttention '{self.name}'"
        self._num_heads = check_positive_int(num_heads, "num_heads", owner)
        self._key_dim = check_positive_int(key_dim, "key_dim", owner)
        self._value_dim = (
            self._key_dim if value_dim is None else check_positive_int(value_dim, "value_dim", owner)
        )
        self._set_shared_arguments(
            dropout, use_bias, sliding_window, flash_attention, kernel_initializer, bias_initializer,
            kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint,
            use_gate, seed,
        )  # fmt: skip
        if output_shape:
            output_shape = (output_shape,) if isinstance(output_shape, int) else output_shape
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise invalid(
                    "output_shape", "must be an int, a tuple or a list", output_shape, owner
                ) from None
        self._output_shape = output_shape or None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise invalid("attention_axes", "must be an int, a list or a tuple", attention_axes, owner)
        self._attention_axes = attention_axes
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    def build(self, query_shape: tuple, value_shape: tuple, key_shape: tuple | None = None) -> None:
        query_shape, value_shape, key_shape = self._checked_shapes(query_shape, value_shape, key_shape)
        rank = len(query_shape)
        self._query_dense = self._projection("query", rank, self._key_dim, query_shape)
        self._key_dense = self._projection("key", rank, self._key_dim, key_shape)
        if self._use_gate:
            self._gate_dense = self._projection("gate", rank, self._value_dim, query_shape, "sigmoid")
        self._value_dense = self._projection("value", rank, self._value_dim, value_shape)
        self._build_attention(rank + 1)
        output_shape = self._output_shape or (query_shape[-1],)
        equation, bias_axes = projection_equation(rank - 1, 2, len(output_shape))
        self._output_dense = self._sublayer(
            "attention_output", equation, (None,) * (rank - 2) + tuple(output_shape), bias_axes
        )
        self._output_dense.build((*query_shape[:-1], self._num_heads, self._value_dim))

    def _check_shapes(self, query_shape: tuple, value_shape: tuple, key_shape: tuple) -> None:
        if len(query_shape) < 3:
            raise invalid(
                "query", "must have rank >= 3 (batch, ..., features)", f"shape {query_shape}", self._owner
            )
        for argument, shape in (("value", value_shape), ("key", key_shape)):
            if len(shape) != len(query_shape):
                raise invalid(
                    argument, f"must have the query's rank {len(query_shape)}", f"shape {shape}", self._owner
                )
        super()._check_shapes(query_shape, value_shape, key_shape)

    def _projection(self, name: str, rank: int, size: int, input_shape: tuple, activation: Any = None):
        equation, bias_axes = projection_equation(rank - 1, 1, 2)
        layer = self._sublayer(
            name, equation, (None,) * (rank - 2) + (self._num_heads, size), bias_axes, activation
        )
        layer.build(input_shape)
        return layer

    def _check_inputs(self, query, value, key) -> None:
        for argument, tensor, dense in (
            ("query", query, self._query_dense),
            ("value", value, self._value_dense),
            ("key", key, self._key_dense),
        ):
            if tensor.shape[-1] != dense._kernel_shape[0]:
                raise invalid(
                    argument,
                    f"must have last dimension {dense._kernel_shape[0]}, as when the layer was built",
                    f"shape {tuple(tensor.shape)}",
                    self._owner,
                )
        self._check_shapes(tuple(query.shape), tuple(value.shape), tuple(key.shape))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
            **self._projections_config(),
        }
