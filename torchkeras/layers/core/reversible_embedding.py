"""`ReversibleEmbedding`: an embedding that also maps vectors back to logits over the vocabulary."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config
from torchkeras.layers.core import quantization
from torchkeras.layers.core.embedding import Embedding
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.quantizers import (
    AbsMaxQuantizer,
    QuantizationConfig,
    abs_max_quantize_grouped_with_zero_point,
    pack_int4,
    unpack_int4,
)
from torchkeras.quantizers.quantization_config import get_block_size_for_layer
from torchkeras.quantizers.quantizers import dequantize_with_sz_map
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
        mode = self.quantization_mode
        if mode is not None:
            self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(
                self.quantization_config, AbsMaxQuantizer(axis=-1)
            )
        if self.tie_weights:
            return
        if mode is None:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings",
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
            )
        else:
            self._reverse_quantized_build(mode, get_block_size_for_layer(self, self.quantization_config))

    def _reverse_quantized_build(self, mode: str, block_size: int | None) -> None:
        """Keras's quantized reverse matrix: int8 `(output_dim, input_dim)`, or int4 packed along
        `output_dim`, with a scale per vocabulary column (and a zero point per block for int4)."""
        grouped = mode == "int4" and block_size is not None and block_size > 0
        rows = self.output_dim if mode == "int8" else (self.output_dim + 1) // 2
        self.reverse_embeddings = self.add_weight(
            name="reverse_embeddings",
            shape=(rows, self.input_dim),
            initializer="zeros",
            dtype="int8",
            trainable=False,
        )
        scale_shape = (-(-self.output_dim // block_size), self.input_dim) if grouped else (self.input_dim,)
        self.reverse_embeddings_scale = self.add_weight(
            name="reverse_embeddings_scale", shape=scale_shape, initializer="ones", trainable=False
        )
        if grouped:  # float32 in Keras's files
            self.reverse_embeddings_zero = self.add_weight(
                name="reverse_embeddings_zero", shape=scale_shape, initializer="zeros", trainable=False
            )

    def call(self, inputs: torch.Tensor, reverse: bool = False) -> torch.Tensor:
        if not reverse:
            outputs = super().call(inputs)
            if self.mask_zero:
                outputs._keras_mask = inputs != 0
            return outputs
        if self.quantization_mode is not None:
            logits = self._quantized_reverse(inputs)
            if self.logit_soft_cap is not None:
                logits = torch.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
            return logits
        kernel = self.embeddings.t() if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            dtype = config.torch_dtype(self.reverse_dtype)
            inputs, kernel = inputs.to(dtype), kernel.to(dtype)
        logits = torch.matmul(inputs, kernel.to(inputs.dtype))
        if self.logit_soft_cap is not None:
            logits = torch.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def _quantized_reverse(self, inputs: torch.Tensor) -> torch.Tensor:
        """Keras's quantized reverse projection: inputs quantized on the fly, contracted with the
        int8 (or unpacked int4) matrix and rescaled; int4 blocks are dequantized first."""
        dtype = config.torch_dtype(self.compute_dtype)
        grouped = self.quantization_mode == "int4" and self._int4_block_size is not None
        if self.tie_weights:
            kernel = self.embeddings.t()
            scale = self.embeddings_scale.t()
            zero = self.embeddings_zero.t() if grouped else None
        else:
            kernel = self.reverse_embeddings
            scale = self.reverse_embeddings_scale
            zero = self.reverse_embeddings_zero if grouped else None
        if self.quantization_mode == "int4":
            kernel = unpack_int4(kernel, self.output_dim, axis=0)
        if grouped:
            kernel = dequantize_with_sz_map(kernel.to(dtype), scale, zero, self.g_idx, group_axis=0).to(dtype)
            scale = torch.ones((), dtype=dtype, device=kernel.device)
        return quantization.int8_contract(
            inputs,
            kernel,
            scale,
            torch.matmul,
            -1,
            dtype=self.compute_dtype,
            inputs_quantizer=self.inputs_quantizer,
            dequantize=(lambda k, s: k) if grouped else None,
        )

    def quantize(self, mode: str | None = None, type_check: bool = True, config: Any = None) -> None:
        """Quantizes the embeddings as `Embedding.quantize` does (`"int8"`, `"int4"`), and the
        separate reverse matrix (`tie_weights=False`) per vocabulary column or per block of
        `output_dim` rows; the reverse call quantizes its inputs on the fly, as Keras does."""
        config = quantization.check_quantize_args(
            self, ReversibleEmbedding, self._QUANTIZATION_MODES, mode, type_check, config
        )
        reverse = None if self.tie_weights else self.reverse_embeddings.detach()
        super().quantize(type_check=False, config=config)
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(
            config, AbsMaxQuantizer(axis=-1)
        )
        if reverse is None:
            return
        block_size = get_block_size_for_layer(self, config) if config.mode == "int4" else None
        zero = None
        if config.mode == "int8":
            quantizer = QuantizationConfig.weight_quantizer_or_default(config, AbsMaxQuantizer(axis=0))
            values, scale = quantizer(reverse, axis=0, to_numpy=True)
            scale = scale.squeeze(0)
        elif block_size is None:
            default = AbsMaxQuantizer(axis=0, value_range=(-8, 7))
            quantizer = QuantizationConfig.weight_quantizer_or_default(config, default)
            values, scale = quantizer(reverse, axis=0, to_numpy=True)
            scale = scale.squeeze(0)
        else:
            values, scale, zero = abs_max_quantize_grouped_with_zero_point(reverse, block_size, to_numpy=True)
        if config.mode == "int4":
            values, _, _ = pack_int4(values.cpu(), axis=0)
        del self.reverse_embeddings
        self._reverse_quantized_build(config.mode, block_size)
        with torch.no_grad():
            self.reverse_embeddings.copy_(values.to(reverse.device))
            self.reverse_embeddings_scale.copy_(scale.to(reverse.device))
            if zero is not None:
                self.reverse_embeddings_zero.copy_(zero.to(reverse.device))

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
