"""`Identity`: returns its input unchanged."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin

__all__ = ["Identity"]


@register_builtin
class Identity(Layer):
    """Returns its input unchanged (a placeholder, e.g. for optional blocks)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape
