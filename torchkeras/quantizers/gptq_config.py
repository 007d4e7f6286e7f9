"""`GPTQConfig`: the settings of `model.quantize("gptq", config=...)`."""

from __future__ import annotations

from typing import Any

from torchkeras.quantizers.quantization_config import QuantizationConfig, register_quantization_config

__all__ = ["GPTQConfig", "check_group_size"]


def check_group_size(group_size: Any, owner: str) -> None:
    """Raises unless `group_size` is -1 (one group) or a positive integer."""
    if not isinstance(group_size, int) or isinstance(group_size, bool) or group_size < -1 or group_size == 0:
        raise ValueError(
            f"{owner}: `group_size` must be -1 (one group per output channel) or a positive integer. "
            f"Received: group_size={group_size!r}"
        )


def check_positive(value: Any, name: str, owner: str) -> None:
    """Raises unless `value` is a positive integer."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: `{name}` must be a positive integer. Received: {name}={value!r}")


class GPTQConfig(QuantizationConfig):
    """Settings of GPTQ (https://arxiv.org/abs/2210.17323), a post-training weight quantization.

    `model.quantize("gptq", config=GPTQConfig(...))` runs calibration windows cut from `dataset`
    through the model block by block; each `Dense` / `EinsumDense` in a block gets the Hessian
    of its inputs, and its kernel is quantized column by column to `weight_bits`-bit integers,
    each column's rounding error pushed onto the columns still to come. The next block is then
    calibrated on the quantized block's outputs. Each output channel gets, per group of
    `group_size` input rows, a scale and a zero point.

    The model says what its blocks are through `quantization_layer_structure` or by overriding
    `Model.get_quantization_layer_structure(mode)`: `{"pre_block_layers": [...]` (run on the
    token ids first, e.g. the embedding), `"sequential_blocks": [...]}`.

    Args:
        dataset: the calibration data: an iterable of strings (with `tokenizer`) or of token
            arrays (a list, a generator, a NumPy array).
        tokenizer: an object with `tokenize(text)` for a dataset of strings.
        weight_bits: bits per weight: 2, 3, 4 or 8. Defaults to 4.
        num_samples: calibration windows. Defaults to 128.
        per_channel: a range per output channel (`True`) or one for the whole group.
        sequence_length: tokens per window. Defaults to 512.
        hessian_damping: the fraction of the mean Hessian diagonal added to the diagonal before
            inverting, in `[0, 1]`. Defaults to 0.01.
        group_size: input rows sharing a scale and zero point; -1 for all. Defaults to 128.
        symmetric: a range centered on zero. Defaults to `False`.
        activation_order: quantize the columns with the largest Hessian diagonal first.
        quantization_layer_structure: the model's `{"pre_block_layers", "sequential_blocks"}`.

    Example:
    ```python
    config = keras.quantizers.GPTQConfig(dataset=token_arrays, tokenizer=None, num_samples=16,
                                         sequence_length=64, group_size=32)
    model.quantize("gptq", config=config)
    ```
    """

    def __init__(
        self,
        dataset: Any,
        tokenizer: Any,
        *,
        weight_bits: int = 4,
        num_samples: int = 128,
        per_channel: bool = True,
        sequence_length: int = 512,
        hessian_damping: float = 0.01,
        group_size: int = 128,
        symmetric: bool = False,
        activation_order: bool = False,
        quantization_layer_structure: dict | None = None,
    ):
        super().__init__()
        owner = "GPTQConfig"
        if weight_bits not in (2, 3, 4, 8) or isinstance(weight_bits, bool):
            raise ValueError(
                f"{owner}: `weight_bits` must be one of 2, 3, 4, 8. Received: weight_bits={weight_bits!r}"
            )
        check_positive(num_samples, "num_samples", owner)
        check_positive(sequence_length, "sequence_length", owner)
        if not isinstance(hessian_damping, (int, float)) or not 0 <= hessian_damping <= 1:
            raise ValueError(
                f"{owner}: `hessian_damping` must be between 0 and 1. "
                f"Received: hessian_damping={hessian_damping!r}"
            )
        check_group_size(group_size, owner)
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.per_channel = per_channel
        self.sequence_length = sequence_length
        self.hessian_damping = hessian_damping
        self.group_size = group_size
        self.symmetric = symmetric
        self.activation_order = activation_order
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self) -> str:
        return "gptq"

    def dtype_policy_string(self) -> str:
        """The quantized policy's mode, `"gptq/<weight_bits>/<group_size>"`."""
        return f"gptq/{self.weight_bits}/{self.group_size}"

    def get_config(self) -> dict[str, Any]:
        """The settings; `dataset`, `tokenizer` and the layer structure (used once, by the
        calibration) are saved as `None` (Keras 3.15 saves the structure's layers and recurses)."""
        return {
            "dataset": None,
            "tokenizer": None,
            "weight_bits": self.weight_bits,
            "num_samples": self.num_samples,
            "per_channel": self.per_channel,
            "sequence_length": self.sequence_length,
            "hessian_damping": self.hessian_damping,
            "group_size": self.group_size,
            "symmetric": self.symmetric,
            "activation_order": self.activation_order,
            "quantization_layer_structure": None,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> GPTQConfig:
        return cls(**config)


register_quantization_config("gptq", GPTQConfig, requires_config=True)
