"""`Embedding`: maps integer indices to dense vectors."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config as _config
from torchkeras import constraints, initializers, regularizers
from torchkeras.layers.core import quantization
from torchkeras.layers.core.unsupported import reject_lora
from torchkeras.layers.layer import Layer
from torchkeras.quantizers import (
    AbsMaxQuantizer,
    QuantizationConfig,
    abs_max_quantize_grouped_with_zero_point,
    pack_int4,
    serialize,
    unpack_int4,
)
from torchkeras.quantizers.quantization_config import get_block_size_for_layer
from torchkeras.quantizers.quantizers import dequantize_with_sz_map
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int

__all__ = ["Embedding"]


@register_builtin
class Embedding(Layer):
    """Turns non-negative integers (indices) into dense vectors of fixed size.

    Args:
        input_dim: size of the vocabulary (largest index + 1).
        output_dim: dimension of the dense embedding.
        embeddings_initializer: initializer of the embedding matrix; `"uniform"` by default.
        embeddings_regularizer: optional penalty on the embedding matrix.
        embeddings_constraint: optional constraint on the embedding matrix.
        mask_zero: whether index 0 is padding to be masked; the mask then follows the output
            to layers that support masking (RNNs, attention, pooling, losses).
        weights: optional initial `[embeddings]` array.
        lora_rank, lora_alpha: accepted for Keras's configs; LoRA is not supported, so they
            must be `None`.
        quantization_config: the `QuantizationConfig` a quantized layer was made with.

    Input shape:
        `(batch_size, ...)` integer indices.

    Output shape:
        `(batch_size, ..., output_dim)`.
    """

    _QUANTIZATION_MODES = ("int8", "int4")

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        weights: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ):
        input_length = kwargs.pop("input_length", None)  # accepted and ignored, as in Keras 3
        del input_length
        super().__init__(weights=weights, **kwargs)
        reject_lora(self, lora_rank)
        self.quantization_config = quantization.quantization_config_argument(self, quantization_config)
        owner = f"Embedding '{self.name}'"
        self.input_dim = check_positive_int(input_dim, "input_dim", owner)
        self.output_dim = check_positive_int(output_dim, "output_dim", owner)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero

    def build(self, input_shape: Any = None) -> None:
        if self.quantization_mode == "int8":
            shape = (self.input_dim, self.output_dim)
            quantization.add_int8_weight(self, "embeddings", shape, (self.input_dim,))
            return
        if self.quantization_mode == "int4":
            self._int4_build(get_block_size_for_layer(self, self.quantization_config))
            return
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.is_floating_point():
            inputs = inputs.long()
        if self.quantization_mode == "int8":
            dtype = _config.torch_dtype(self.compute_dtype)
            rows = torch.nn.functional.embedding(inputs, self.embeddings).to(dtype)
            return rows / self.embeddings_scale[inputs].unsqueeze(-1).to(dtype)
        if self.quantization_mode == "int4":
            return self._int4_call(inputs)
        return torch.nn.functional.embedding(inputs, self.embeddings)

    def quantize(self, mode: str | None = None, type_check: bool = True, config: Any = None) -> None:
        """Quantizes the embeddings (Keras's modes): `"int8"` with a per-row scale; `"int4"` two
        values per byte, `(input_dim, ceil(output_dim / 2))`, with a per-row scale or a scale and
        zero point per block of `block_size` columns (`Int4QuantizationConfig`, 128 by default).

        Args:
            mode: `"int8"` or `"int4"`; optional when `config` is given.
            type_check: refuse subclasses of `Embedding`.
            config: a `QuantizationConfig` (its weight quantizer replaces the default).
        """
        config = quantization.check_quantize_args(
            self, Embedding, self._QUANTIZATION_MODES, mode, type_check, config
        )
        self.quantization_config = config
        if config.mode == "int4":
            self._quantize_int4(config)
            return
        weight_quantizer = QuantizationConfig.weight_quantizer_or_default(config, AbsMaxQuantizer(axis=-1))
        quantization.quantize_weight(self, "embeddings", axis=-1, weight_quantizer=weight_quantizer)

    def _int4_build(self, block_size: int | None) -> None:
        grouped = block_size is not None and block_size > 0
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, (self.output_dim + 1) // 2),
            initializer="zeros",
            dtype="int8",
            trainable=False,
        )
        scale_shape = (self.input_dim, -(-self.output_dim // block_size)) if grouped else (self.input_dim,)
        self.embeddings_scale = self.add_weight(
            name="embeddings_scale", shape=scale_shape, initializer="ones", trainable=False
        )
        self._int4_block_size = block_size if grouped else None
        if not grouped:
            return
        self.embeddings_zero = self.add_weight(
            name="embeddings_zero", shape=scale_shape, initializer="zeros", dtype="int8", trainable=False
        )
        self.g_idx = self.add_weight(
            name="g_idx", shape=(self.output_dim,), initializer="zeros", dtype="float32", trainable=False
        )
        columns_block = torch.div(
            torch.arange(self.output_dim, dtype=torch.float32), block_size, rounding_mode="floor"
        )
        with torch.no_grad():
            self.g_idx.copy_(columns_block)

    def _quantize_int4(self, config: QuantizationConfig) -> None:
        """Keras's int4 embeddings: abs-max per row, or asymmetric per block of columns."""
        block_size = get_block_size_for_layer(self, config)
        embeddings = self.embeddings.detach()
        if block_size is not None and block_size > 0:
            values, scale, zero = abs_max_quantize_grouped_with_zero_point(
                embeddings.T, block_size, to_numpy=True
            )
            values, scale, zero = values.T, scale.T, zero.T
        else:
            default = AbsMaxQuantizer(axis=-1, value_range=(-8, 7))
            quantizer = QuantizationConfig.weight_quantizer_or_default(config, default)
            values, scale = quantizer(embeddings, axis=-1, to_numpy=True)
            scale = scale.squeeze(-1)
        packed, _, _ = pack_int4(values.cpu().contiguous(), axis=-1)
        del self.embeddings
        self._int4_build(block_size)
        with torch.no_grad():
            self.embeddings.copy_(packed.to(embeddings.device))
            self.embeddings_scale.copy_(scale.to(embeddings.device))
            if block_size is not None and block_size > 0:
                self.embeddings_zero.copy_(zero.to(embeddings.device))
        quantization.set_quantized_policy(self, f"int4/{-1 if block_size is None else block_size}")

    def _int4_call(self, inputs: torch.Tensor) -> torch.Tensor:
        dtype = _config.torch_dtype(self.compute_dtype)
        rows = unpack_int4(self.embeddings[inputs], self.output_dim, axis=-1).to(dtype)
        scale = self.embeddings_scale[inputs]
        if self._int4_block_size is None:
            return rows / scale.unsqueeze(-1).to(dtype)
        zero = self.embeddings_zero[inputs]
        return dequantize_with_sz_map(rows, scale, zero, self.g_idx, group_axis=-1).to(dtype)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape, self.output_dim)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": serialize(self.quantization_config),
        }
