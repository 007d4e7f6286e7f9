"""Keras arguments accepted for file compatibility but not implemented (LoRA)."""

from __future__ import annotations

from typing import Any

__all__ = ["reject_lora"]


def reject_lora(layer: Any, lora_rank: Any) -> None:
    """Raises unless `lora_rank` is `None` (Keras writes `None` when LoRA is off)."""
    if lora_rank is not None:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': `lora_rank` is not supported by torchkeras "
            f"(LoRA is not implemented); it must be None. Received: lora_rank={lora_rank!r}"
        )
