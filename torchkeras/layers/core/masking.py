"""`Masking`: marks timesteps whose features all equal `mask_value` as masked."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["Masking"]


@register_builtin
class Masking(Layer):
    """Masks timesteps in which every feature equals `mask_value`.

    The mask (`True` = keep) is `any(inputs != mask_value, axis=-1)`; it travels with the output
    to the layers that support masking (RNNs, attention, pooling, losses). Masked timesteps of
    the output are set to zero.

    Args:
        mask_value: the padding value.

    Input shape:
        `(batch_size, timesteps, features)` (any rank of 2 or more).

    Output shape:
        Same as the input.

    Example:
    ```python
    model = keras.Sequential([keras.layers.Masking(0.0), keras.layers.LSTM(32)])
    ```
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float)):
            raise invalid("mask_value", "must be a number", mask_value, f"Masking '{self.name}'")
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> torch.Tensor:
        return (inputs != self.mask_value).any(dim=-1)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        keep = (inputs != self.mask_value).any(dim=-1, keepdim=True)
        return torch.where(keep, inputs, torch.zeros((), dtype=inputs.dtype, device=inputs.device))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
