"""`Embedding`: maps integer indices to dense vectors."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config as _config
from torchkeras import constraints, initializers, regularizers
from torchkeras.layers.core import quantization
from torchkeras.layers.core.unsupported import reject_lora
from torchkeras.layers.layer import Layer
from torchkeras.quantizers import AbsMaxQuantizer, QuantizationConfig, serialize
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

    _QUANTIZATION_MODES = ("int8",)

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
        return torch.nn.functional.embedding(inputs, self.embeddings)

    def quantize(self, mode: str | None = None, type_check: bool = True, config: Any = None) -> None:
        """Quantizes the embeddings to int8 with a per-row scale (Keras's `"int8"` mode).

        Args:
            mode: `"int8"`; optional when `config` is given.
            type_check: refuse subclasses of `Embedding`.
            config: a `QuantizationConfig` (its weight quantizer replaces the default).
        """
        config = quantization.check_quantize_args(
            self, Embedding, self._QUANTIZATION_MODES, mode, type_check, config
        )
        self.quantization_config = config
        weight_quantizer = QuantizationConfig.weight_quantizer_or_default(config, AbsMaxQuantizer(axis=-1))
        quantization.quantize_weight(self, "embeddings", axis=-1, weight_quantizer=weight_quantizer)

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
