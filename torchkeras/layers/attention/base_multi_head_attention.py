"""`BaseMultiHeadAttention`: what `MultiHeadAttention` and `GroupedQueryAttention` share.

The shared arguments and their checks, the `EinsumDense` projections, the call (masks, optional
gate, fused or explicit attention), the output shape and the config of the projections. The
subclasses add their head arguments, build their projections and check their inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchkeras import config, constraints, initializers, regularizers
from torchkeras.layers.attention import attention_utils as attention
from torchkeras.layers.core.einsum_dense import EinsumDense
from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.validation import check_positive_int, check_rate, invalid

__all__ = ["BaseMultiHeadAttention", "public_attributes"]


def public_attributes(*names: str) -> Callable[[type], type]:
    """Class decorator: read-write public names for the base's private attributes (`dropout` for
    `_dropout`), where Keras keeps a layer's arguments in public attributes."""

    def alias(name: str) -> property:
        def read(self: Any) -> Any:
            return getattr(self, f"_{name}")

        def write(self: Any, value: Any) -> None:
            setattr(self, f"_{name}", value)

        return property(read, write, doc=f"The `{name}` argument.")

    def decorate(cls: type) -> type:
        for name in names:
            setattr(cls, name, alias(name))
        return cls

    return decorate


class BaseMultiHeadAttention(Layer):
    """Base of the multi-head attention layers.

    A subclass sets `_owner`, checks its head arguments, calls `_set_shared_arguments`, builds its
    projections with `_sublayer` and its attention equations with `_build_attention`, and checks
    the call's tensors in `_check_inputs`. When the key and value projections have fewer heads
    than the query projection, each of them serves a group of query heads.
    """

    _attention_axes: tuple[int, ...] | None = None  # None: every axis between batch and features
    _output_shape: tuple[int, ...] | None = None  # None: the query's last dimension
    _masks_output = False  # whether the output carries the query mask (as MultiHeadAttention's does)
    _owner: str

    def _set_shared_arguments(
        self,
        dropout: float,
        use_bias: bool,
        sliding_window: int | None,
        flash_attention: bool | None,
        kernel_initializer: Any,
        bias_initializer: Any,
        kernel_regularizer: Any,
        bias_regularizer: Any,
        activity_regularizer: Any,
        kernel_constraint: Any,
        bias_constraint: Any,
        use_gate: bool,
        seed: int | None,
    ) -> None:
        """Checks and stores the arguments every multi-head attention layer takes."""
        owner = self._owner
        self._dropout = check_rate(dropout, "dropout", owner)
        self._use_bias = use_bias
        self._use_gate = use_gate
        if sliding_window is not None:
            check_positive_int(sliding_window, "sliding_window", owner)
        self._sliding_window = sliding_window
        if flash_attention and self._dropout > 0:
            raise invalid("dropout", "must be 0 when flash attention is enabled", dropout, owner)
        # `None` follows `keras.config.disable_flash_attention()` (False keeps torch off the flash kernel).
        self._flash_attention = (
            config.is_flash_attention_enabled() if flash_attention is None else flash_attention
        )
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._random = SeededRandomness(seed)
        self.supports_masking = True

    # ----------------------------------------------------------------------------- build

    def _checked_shapes(self, query_shape: tuple, value_shape: tuple, key_shape: tuple | None) -> tuple:
        """`(query_shape, value_shape, key_shape)` as tuples, the key's defaulting to the value's."""
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        return query_shape, value_shape, key_shape

    def _check_shapes(self, query_shape: tuple, value_shape: tuple, key_shape: tuple) -> None:
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"{self._owner}: all dimensions of `value` and `key`, except the last one, must be "
                f"equal. Received: value_shape={value_shape} and key_shape={key_shape}"
            )

    def _sublayer(
        self, name: str, equation: str, output_shape: tuple, bias_axes: str, activation: Any = None
    ) -> EinsumDense:
        """An unbuilt projection with the layer's initializers, penalties and constraints."""
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
        equations = attention.attention_equations(rank, axes)
        self._dot_product_equation, self._combine_equation, scores_rank = equations
        self._softmax_axes = tuple(range(scores_rank - len(axes), scores_rank))

    # ------------------------------------------------------------------------------ call

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
        self._check_inputs(query, value, key)
        self._check_masks(query, value, key, *masks)
        # A causal mask alone goes to the fused kernel's `is_causal` (unless a subclass computes
        # its own attention and needs the mask itself).
        causal_only = (
            use_causal_mask
            and all(m is None for m in masks)
            and self._sliding_window is None
            and type(self)._compute_attention is BaseMultiHeadAttention._compute_attention
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
        if self._masks_output and masks[0] is not None:
            output._keras_mask = masks[0]
        return (output, scores) if return_attention_scores else output

    def _check_inputs(self, query: torch.Tensor, value: torch.Tensor, key: torch.Tensor) -> None:
        """Raises unless the tensors have the shapes the layer was built for."""
        raise NotImplementedError(f"{type(self).__name__} must implement `_check_inputs(query, value, key)`.")

    def _check_masks(self, query, value, key, query_mask, value_mask, key_mask, attention_mask) -> None:
        owner = self._owner
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
        repeats = query.shape[-2] // key.shape[-2]  # query heads per key/value head
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
                enable_gqa=repeats > 1,
            )
            return output, None
        if use_causal_mask:
            causal = attention.causal_mask(query.shape[1], value.shape[1], query.device)
            attention_mask = causal if attention_mask is None else attention_mask & causal
        if repeats > 1:
            key = torch.repeat_interleave(key, repeats, dim=-2)
            value = torch.repeat_interleave(value, repeats, dim=-2)
        query = query * self._inverse_sqrt_key_dim
        scores = torch.einsum(self._dot_product_equation, key, query)
        if attention_mask is not None:
            attention_mask = attention.expand_mask(attention_mask, scores.ndim, expansion_axis)
        scores = attention.masked_softmax(scores, attention_mask, self._softmax_axes)
        probabilities = attention.drop_probabilities(scores, dropout, self._random)
        return torch.einsum(self._combine_equation, probabilities, value), scores

    def compute_output_shape(
        self, query_shape: tuple, value_shape: tuple, key_shape: tuple | None = None
    ) -> tuple:
        query_shape, _, _ = self._checked_shapes(query_shape, value_shape, key_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def _projections_config(self) -> dict:
        """The config entries of the projections' initializers, penalties and constraints, and the seed."""
        return {
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        }
