"""`MultiHeadAttention`: attention with several heads, as in "Attention is all you need"."""

from __future__ import annotations

import math
import string
from typing import Any

import torch

from torchkeras import constraints, initializers, regularizers
from torchkeras.layers.attention import attention_utils as attention
from torchkeras.layers.core.einsum_dense import EinsumDense
from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int, check_rate, invalid

__all__ = ["MultiHeadAttention", "attention_equations", "projection_equation"]


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


@register_builtin
class MultiHeadAttention(SeededRandomness, Layer):
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
        self._dropout = check_rate(dropout, "dropout", owner)
        self._use_bias = use_bias
        self._use_gate = use_gate
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
        if sliding_window is not None:
            check_positive_int(sliding_window, "sliding_window", owner)
        self._sliding_window = sliding_window
        if flash_attention and self._dropout > 0:
            raise invalid("dropout", "must be 0 when flash attention is enabled", dropout, owner)
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        self.supports_masking = True

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

    def build(
        self,
        query_shape: tuple,
        value_shape: tuple,
        key_shape: tuple | None = None,
    ) -> None:
        key_shape = value_shape if key_shape is None else key_shape
        self._check_shapes(tuple(query_shape), tuple(value_shape), tuple(key_shape))
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
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"{self._owner}: all dimensions of `value` and `key`, except the last one, must be "
                f"equal. Received: value_shape={value_shape} and key_shape={key_shape}"
            )

    def _sublayer(
        self, name: str, equation: str, output_shape: tuple, bias_axes: str, activation: Any = None
    ):
        layer = EinsumDense(
            equation,
            output_shape=output_shape,
            activation=activation,
            bias_axes=bias_axes if self._use_bias else None,
            kernel_initializer=self._kernel_initializer.clone(),
            bias_initializer=self._bias_initializer.clone(),
            kernel_regularizer=self._kernel_regularizer,
            bias_regularizer=self._bias_regularizer,
            activity_regularizer=self._activity_regularizer,
            kernel_constraint=self._kernel_constraint,
            bias_constraint=self._bias_constraint,
            dtype=self.dtype_policy,
            name=name,
        )
        layer._build_device = self._build_device
        return layer

    def _projection(self, name: str, rank: int, size: int, input_shape: tuple, activation: Any = None):
        equation, bias_axes = projection_equation(rank - 1, 1, 2)
        layer = self._sublayer(
            name, equation, (None,) * (rank - 2) + (self._num_heads, size), bias_axes, activation
        )
        layer.build(input_shape)
        return layer

    def _build_attention(self, rank: int) -> None:
        """Einsum equations and softmax axes for projected tensors of `rank` axes."""
        if self._attention_axes is None:
            axes = tuple(range(1, rank - 2))
        else:
            axes = tuple(a if a >= 0 else rank - 1 + a for a in self._attention_axes)
            if any(not 1 <= a <= rank - 3 for a in axes) or len(set(axes)) != len(axes):
                raise invalid(
                    "attention_axes",
                    f"must name distinct axes between the batch and feature axes (1 to {rank - 3})",
                    self._attention_axes,
                    self._owner,
                )
        self._attention_axes = axes
        self._dot_product_equation, self._combine_equation, scores_rank = attention_equations(rank, axes)
        self._softmax_axes = tuple(range(scores_rank - len(axes), scores_rank))

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
        self._check_masks(query, value, key, *masks)
        # A causal mask alone goes to the fused kernel's `is_causal` (unless a subclass computes
        # its own attention and needs the mask itself).
        causal_only = (
            use_causal_mask
            and all(m is None for m in masks)
            and self._sliding_window is None
            and type(self)._compute_attention is MultiHeadAttention._compute_attention
        )
        mask = None
        if not causal_only:
            mask = attention.merge_masks(query, value, *masks, use_causal_mask, self._sliding_window)

        gate = self._gate_dense(query) if self._use_gate else None
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
        if masks[0] is not None:
            output._keras_mask = masks[0]
        return (output, scores) if return_attention_scores else output

    def _check_masks(self, query, value, key, query_mask, value_mask, key_mask, attention_mask) -> None:
        owner = self._owner
        for argument, tensor, dense in (
            ("query", query, self._query_dense),
            ("value", value, self._value_dense),
            ("key", key, self._key_dense),
        ):
            if tensor.shape[-1] != dense.kernel.shape[0]:
                raise invalid(
                    argument,
                    f"must have last dimension {dense.kernel.shape[0]}, as when the layer was built",
                    f"shape {tuple(tensor.shape)}",
                    owner,
                )
        self._check_shapes(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        attention.check_mask_shape(query_mask, tuple(query.shape[:-1]), "query_mask", owner)
        attention.check_mask_shape(value_mask, tuple(value.shape[:-1]), "value_mask", owner)
        attention.check_mask_shape(key_mask, tuple(key.shape[:-1]), "key_mask", owner)
        attended = tuple(query.shape[a] for a in self._attention_axes) + tuple(
            value.shape[a] for a in self._attention_axes
        )
        others = tuple(query.shape[i] for i in range(1, query.ndim - 1) if i not in self._attention_axes)
        expected = (query.shape[0], *others, *attended)
        attention.check_mask_shape(attention_mask, expected, "attention_mask", owner)

    def _compute_attention(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        training: bool | None = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attention of projected `(B, T, heads, dim)` tensors: (output, probabilities or None)."""
        expansion_axis = -2 * len(self._attention_axes) - 1
        dropout = self._dropout if training else 0.0
        fused = attention.fused_is_exact(
            return_attention_scores, query.ndim, self._dropout, bool(training), attention_mask, self.seed
        )
        if fused:
            if attention_mask is not None:
                attention_mask = attention.expand_mask(attention_mask, 4, expansion_axis)
            output = attention.scaled_dot_product_attention(
                query,
                key,
                value,
                attention_mask,
                self._inverse_sqrt_key_dim,
                is_causal=use_causal_mask,
                dropout=dropout,
                flash_attention=self._flash_attention,
            )
            return output, None
        if use_causal_mask:
            causal = attention.causal_mask(query.shape[1], value.shape[1], query.device)
            attention_mask = causal if attention_mask is None else attention_mask & causal
        query = query * self._inverse_sqrt_key_dim
        scores = torch.einsum(self._dot_product_equation, key, query)
        if attention_mask is not None:
            attention_mask = attention.expand_mask(attention_mask, scores.ndim, expansion_axis)
        scores = attention.masked_softmax(scores, attention_mask, self._softmax_axes)
        probabilities = attention.drop_probabilities(scores, dropout, self)
        return torch.einsum(self._combine_equation, probabilities, value), scores

    def compute_output_shape(
        self, query_shape: tuple, value_shape: tuple, key_shape: tuple | None = None
    ) -> tuple:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

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
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        }
