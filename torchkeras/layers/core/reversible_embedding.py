"""`ReversibleEmbedding`: an embedding that also maps vectors back to logits over the vocabulary."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config
from torchkeras.layers.core.embedding import Embedding
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["ReversibleEmbedding"]


@register_builtin
class ReversibleEmbedding(Embedding):
    """An `Embedding` whose `call(x, reverse=True)` projects vectors back onto the vocabulary,
    through the transposed embedding matrix (`tie_weights=True`) or a separate
    `(output_dim, input_dim)` matrix, as in language models that share their input and output
    embeddings.

    Args:
        input_dim, output_dim, embeddings_initializer, embeddings_regularizer,
        embeddings_constraint, mask_zero: as for `Embedding`.
        tie_weights: reuse the embedding matrix for the reverse projection.
        reverse_dtype: dtype of the reverse matmul (e.g. `"float32"` under mixed precision).
        logit_soft_cap: if set, reverse logits become `tanh(logits / cap) * cap`.

    Call arguments:
        inputs: integer indices, or with `reverse=True`, vectors `(..., output_dim)`.
        reverse: whether to project back to `(..., input_dim)` logits.

    Example:
    ```python
    embedding = keras.layers.ReversibleEmbedding(input_dim=100, output_dim=16)
    hidden = embedding(token_ids)                 # (batch, length, 16)
    logits = embedding(hidden, reverse=True)      # (batch, length, 100)
    ```
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        tie_weights: bool = True,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        reverse_dtype: Any = None,
        logit_soft_cap: float | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        if logit_soft_cap is not None and not (
            isinstance(logit_soft_cap, (int, float)) and logit_soft_cap > 0
        ):
            raise invalid("logit_soft_cap", "must be a positive number or None", logit_soft_cap, self.name)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = None if reverse_dtype is None else config.standardize_dtype(reverse_dtype)
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape: Any = None) -> None:
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings",
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
            )

    def call(self, inputs: torch.Tensor, reverse: bool = False) -> torch.Tensor:
        if not reverse:
            outputs = super().call(inputs)
            if self.mask_zero:
                outputs._keras_mask = inputs != 0
            return outputs
        kernel = self.embeddings.t() if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            dtype = config.torch_dtype(self.reverse_dtype)
            inputs, kernel = inputs.to(dtype), kernel.to(dtype)
        logits = torch.matmul(inputs, kernel.to(inputs.dtype))
        if self.logit_soft_cap is not None:
            logits = torch.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return None  # the forward call attaches its own mask; the reverse call makes none

    def compute_output_shape(self, input_shape: tuple, reverse: bool = False) -> tuple:
        if reverse:
            return (*input_shape[:-1], self.input_dim)
        return (*input_shape, self.output_dim)

    def compute_output_spec(self, inputs: Any, reverse: bool = False, **kwargs: Any) -> KerasTensor:
        if reverse:
            return KerasTensor(
                self.compute_output_shape(inputs.shape, reverse=True), dtype=self.compute_dtype
            )
        return super().compute_output_spec(inputs, **kwargs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }
