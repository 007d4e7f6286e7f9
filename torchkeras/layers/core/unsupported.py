"""Keras arguments accepted for file compatibility but not implemented (LoRA, quantization)."""

from __future__ import annotations

from typing import Any

__all__ = ["reject_lora_and_quantization"]


def reject_lora_and_quantization(layer: Any, lora_rank: Any, quantization_config: Any) -> None:
    """Raises unless `lora_rank` and `quantization_config` are `None` (Keras writes `None`)."""
    for argument, value in (("lora_rank", lora_rank), ("quantization_config", quantization_config)):
        if value is not None:
            raise ValueError(
                f"{type(layer).__name__} '{layer.name}': `{argument}` is not supported by torchkeras "
                "(LoRA and quantization are not implemented); it must be None. "
                f"Received: {argument}={value!r}"
            )
