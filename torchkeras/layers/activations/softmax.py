"""`Softmax`: the softmax activation as a layer, with Keras's masking."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import activations
from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin

__all__ = ["Softmax"]


def _large_negative(dtype: torch.dtype) -> float:
    """The value masked-out logits take: -1e9, or -3e4 in float16 (Keras's choice)."""
    return -30000.0 if dtype == torch.float16 else -1e9


@register_builtin
class Softmax(Layer):
    """Softmax over `axis`; with a mask, masked-out logits are replaced by a large negative value
    before the softmax and their outputs set to 0.

    Args:
        axis: int or list of ints, the axes the softmax normalizes over.
        **kwargs: base `Layer` arguments.

    Call arguments:
        inputs: the logits.
        mask: optional tensor broadcastable to `inputs` (true or > 0.5 = keep).
    """

    def __init__(self, axis: int | list[int] = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is not None:
            self._check_mask(inputs, mask)
            if mask.dtype != torch.bool:
                mask = mask > 0.5
            inputs = torch.where(mask, inputs, _large_negative(inputs.dtype))
        axis = self.axis[0] if isinstance(self.axis, (list, tuple)) and len(self.axis) == 1 else self.axis
        outputs = activations.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = torch.where(mask, outputs, 0.0)
        return outputs

    def _check_mask(self, inputs: torch.Tensor, mask: torch.Tensor) -> None:
        broadcastable = mask.ndim <= inputs.ndim and all(
            m in (1, i) for m, i in zip(reversed(mask.shape), reversed(inputs.shape))
        )
        if not broadcastable:
            raise ValueError(
                f"Softmax '{self.name}': the mask must be broadcastable to the inputs. Received: "
                f"inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}"
            )

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
