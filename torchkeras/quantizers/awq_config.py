"""`AWQConfig`: the settings of `model.quantize("awq", config=...)`."""

from __future__ import annotations

from typing import Any

from torchkeras.quantizers.gptq_config import check_group_size, check_positive
from torchkeras.quantizers.quantization_config import QuantizationConfig, register_quantization_config

__all__ = ["AWQConfig"]


class AWQConfig(QuantizationConfig):
    """Settings of AWQ (https://arxiv.org/abs/2306.00978), activation-aware 4-bit weight quantization.

    `model.quantize("awq", config=AWQConfig(...))` runs calibration windows cut from `dataset`
    through the model block by block, records the largest |input| of each input channel of every
    `Dense` / `EinsumDense`, and grid-searches per-channel scales `x_max**r` that, applied before
    4-bit quantization and undone after, minimize the activation-weighted error. The model names
    its blocks as for `GPTQConfig`.

    Args:
        dataset: the calibration data: an iterable of strings (with `tokenizer`) or of token arrays.
        tokenizer: an object with `tokenize(text)` for a dataset of strings.
        weight_bits: bits per weight; AWQ supports 4 only.
        num_samples: calibration windows. Defaults to 128.
        sequence_length: tokens per window. Defaults to 512.
        group_size: input rows sharing a scale and zero point; -1 for all. Defaults to 128.
        num_grid_points: steps of the exponent `r` between 0 and 1. Defaults to 20.
        quantization_layer_structure: the model's `{"pre_block_layers", "sequential_blocks"}`.

    Example:
    ```python
    config = keras.quantizers.AWQConfig(dataset=token_arrays, tokenizer=None, num_samples=16,
                                        sequence_length=64, group_size=32)
    model.quantize("awq", config=config)
    ```
    """

    def __init__(
        self,
        dataset: Any,
        tokenizer: Any,
        *,
        weight_bits: int = 4,
        num_samples: int = 128,
        sequence_length: int = 512,
        group_size: int = 128,
        num_grid_points: int = 20,
        quantization_layer_structure: dict | None = None,
    ):
        super().__init__()
        owner = "AWQConfig"
        if weight_bits != 4 or isinstance(weight_bits, bool):
            raise ValueError(
                f"{owner}: AWQ only supports 4-bit quantization, `weight_bits` must be 4. "
                f"Received: weight_bits={weight_bits!r}"
            )
        check_positive(num_samples, "num_samples", owner)
        check_positive(sequence_length, "sequence_length", owner)
        check_group_size(group_size, owner)
        check_positive(num_grid_points, "num_grid_points", owner)
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.sequence_length = sequence_length
        self.group_size = group_size
        self.num_grid_points = num_grid_points
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self) -> str:
        return "awq"

    def dtype_policy_string(self) -> str:
        """The quantized policy's mode, `"awq/<weight_bits>/<group_size>"`."""
        return f"awq/{self.weight_bits}/{self.group_size}"

    def get_config(self) -> dict[str, Any]:
        """The settings; `dataset`, `tokenizer` and the layer structure are saved as `None`."""
        return {
            "dataset": None,
            "tokenizer": None,
            "weight_bits": self.weight_bits,
            "num_samples": self.num_samples,
            "sequence_length": self.sequence_length,
            "group_size": self.group_size,
            "num_grid_points": self.num_grid_points,
            "quantization_layer_structure": None,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> AWQConfig:
        return cls(**config)


register_quantization_config("awq", AWQConfig, requires_config=True)
