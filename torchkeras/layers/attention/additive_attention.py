"""`AdditiveAttention`: Bahdanau-style attention over `[query, value(, key)]`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.attention.attention import Attention
from torchkeras.utils.registry import register_builtin

__all__ = ["AdditiveAttention"]


@register_builtin
class AdditiveAttention(Attention):
    """Additive attention layer, a.k.a. Bahdanau-style attention.

    Scores are `sum(scale * tanh(query + key), axis=-1)` for every query/key pair, with a learned
    `scale` vector of the feature size (`use_scale=True`) or 1; then, as in `Attention`, a softmax
    over the value positions mixes `value`.

    Args:
        use_scale: whether to learn the `(dim,)` vector `scale`.
        dropout: dropout rate on the attention distribution.
        seed: optional integer seed of the dropout (keyword argument).

    Call arguments:
        inputs: `[query, value]` or `[query, value, key]`, shapes `(B, Tq, dim)`, `(B, Tv, dim)`,
            `(B, Tv, dim)`.
        mask: optional `[query_mask, value_mask]`, shapes `(B, Tq)`, `(B, Tv)`; by default read
            from the inputs' Keras masks.
        training: whether dropout is active.
        return_attention_scores: whether to also return the `(B, Tq, Tv)` distribution.
        use_causal_mask: whether query `i` may only attend positions `j <= i`.

    Returns:
        `(B, Tq, dim)`, plus the distribution when `return_attention_scores`.
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: list) -> None:
        self._validate_inputs(input_shape)
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(
                name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform"
            )

    def _calculate_scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        pairs = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))  # (B, Tq, Tv, dim)
        if self.scale is not None:
            pairs = self.scale * pairs
        return pairs.sum(-1)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["score_mode"]
        return config
