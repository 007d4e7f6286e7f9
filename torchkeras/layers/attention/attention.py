"""`Attention`: dot-product (Luong-style) attention over `[query, value(, key)]`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.attention.attention_utils import drop_probabilities
from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.nest import to_tensor
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_choice, check_rate, invalid

__all__ = ["Attention"]


@register_builtin
class Attention(Layer):
    """Dot-product attention layer, a.k.a. Luong-style attention.

    Scores `query` against `key` (`value` by default), turns them into a softmax distribution
    over the value positions and returns the matching mix of `value`.

    Args:
        use_scale: whether to learn a scalar `scale` multiplying the scores.
        score_mode: `"dot"` (`query @ key^T`) or `"concat"` (the sum over features of
            `tanh(query + key)`, times a learned scalar `concat_score_weight`).
        dropout: dropout rate on the attention distribution.
        seed: optional integer seed of the dropout.

    Call arguments:
        inputs: `[query, value]` or `[query, value, key]`, shapes `(B, Tq, dim)`, `(B, Tv, dim)`,
            `(B, Tv, dim)`.
        mask: optional `[query_mask, value_mask]` of shapes `(B, Tq)`, `(B, Tv)`: masked value
            positions get no attention, masked query positions give zeros. By default read from
            the inputs' Keras masks.
        training: whether dropout is active.
        return_attention_scores: whether to also return the `(B, Tq, Tv)` distribution.
        use_causal_mask: whether query `i` may only attend positions `j <= i`.

    Returns:
        `(B, Tq, dim)`, plus the distribution when `return_attention_scores`.

    Example:
    ```python
    attention = keras.layers.Attention()
    context = attention([query, value])  # (B, Tq, dim)
    ```
    """

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        owner = self._owner = f"{type(self).__name__} '{self.name}'"
        self.use_scale = use_scale
        self.score_mode = check_choice(score_mode, ("dot", "concat"), "score_mode", owner)
        self.dropout = check_rate(dropout, "dropout", owner)
        self.seed = seed
        self._random = SeededRandomness(seed)
        self.supports_masking = True

    def build(self, input_shape: list) -> None:
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones"
            )

    def _calculate_scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """`(B, Tq, Tv)` scores of each query position against each key position."""
        if self.score_mode == "dot":
            scores = query @ key.transpose(-2, -1)
            return scores if self.scale is None else scores * self.scale
        pairs = query.unsqueeze(-2) + key.unsqueeze(-3)  # (B, Tq, Tv, dim)
        if self.scale is not None:
            pairs = self.scale * pairs
        return self.concat_score_weight * torch.tanh(pairs).sum(-1)

    def call(
        self,
        inputs: list,
        mask: list | None = None,
        training: bool = False,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        self._validate_inputs(inputs, mask)
        query = inputs[0]
        value = to_tensor(inputs[1], device=query.device)
        key = value if len(inputs) < 3 else to_tensor(inputs[2], device=query.device)
        query_mask, value_mask = self._masks(inputs, mask)
        self._check_call(query, value, key, query_mask, value_mask)

        scores = self._calculate_scores(query, key)
        scores_mask = value_mask.unsqueeze(-2) if value_mask is not None else None
        if use_causal_mask:
            causal = torch.ones(scores.shape[-2:], dtype=torch.bool, device=scores.device).tril()
            scores_mask = causal if scores_mask is None else scores_mask & causal
        if scores_mask is not None:
            # Masked positions lose a large constant rather than becoming -inf, as in Keras.
            largest = 65504.0 if scores.dtype == torch.float16 else 1.0e9
            scores = torch.where(scores_mask, scores, scores - largest)
        distribution = torch.softmax(scores, dim=-1)
        weights = drop_probabilities(distribution, self.dropout if training else 0.0, self._random)
        output = weights @ value
        if query_mask is not None:
            output = output.masked_fill(~query_mask.unsqueeze(-1), 0.0)
        return (output, distribution) if return_attention_scores else output

    def _masks(self, inputs: list, mask: list | None) -> tuple[Any, Any]:
        """(query mask, value mask) as booleans: from `mask`, else from the inputs' Keras masks."""
        if mask is None:
            mask = [getattr(x, "_keras_mask", None) for x in inputs]
        query, value = (None if m is None else to_tensor(m, device=inputs[0].device).bool() for m in mask[:2])
        return query, value

    def _validate_inputs(self, inputs: Any, mask: Any = None) -> None:
        owner = self._owner
        is_list = isinstance(inputs, (list, tuple)) and not any(
            x is None or isinstance(x, int) for x in inputs
        )
        if not is_list or not 2 <= len(inputs) <= 3:
            raise invalid("inputs", "must be a list [query, value] or [query, value, key]", inputs, owner)
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise invalid("mask", "must be a list [query_mask, value_mask]", mask, owner)

    def _check_call(self, query, value, key, query_mask, value_mask) -> None:
        owner = self._owner
        for argument, tensor in (("query", query), ("value", value), ("key", key)):
            if tensor.ndim < 3:
                raise invalid(
                    argument,
                    "must have rank >= 3 (batch, steps, features)",
                    f"shape {tuple(tensor.shape)}",
                    owner,
                )
        if query.shape[-1] != key.shape[-1]:
            raise ValueError(
                f"{owner}: `query` and `key` must have the same last dimension. "
                f"Received: query.shape={tuple(query.shape)}, key.shape={tuple(key.shape)}"
            )
        if value.shape[-2] != key.shape[-2]:
            raise ValueError(
                f"{owner}: `value` and `key` must have the same number of steps. "
                f"Received: value.shape={tuple(value.shape)}, key.shape={tuple(key.shape)}"
            )
        for argument, tensor, shape in (
            ("query_mask", query_mask, query.shape),
            ("value_mask", value_mask, value.shape),
        ):
            if tensor is not None and tuple(tensor.shape) != tuple(shape[:-1]):
                raise invalid(
                    argument, f"must have shape {tuple(shape[:-1])}", f"shape {tuple(tensor.shape)}", owner
                )

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        self._validate_inputs(inputs, mask)
        if mask is None:
            return getattr(inputs[0], "_keras_mask", None)
        return mask[0]

    def compute_output_shape(self, input_shape: list) -> tuple:
        return (*input_shape[0][:-1], input_shape[1][-1])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }
