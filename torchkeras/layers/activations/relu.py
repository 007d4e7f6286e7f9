"""`ReLU`: the rectified linear unit as a layer, with Keras's cap, leak and threshold."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import activations
from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["ReLU"]


@register_builtin
class ReLU(Layer):
    """Rectified linear unit: `x` above `threshold` (capped at `max_value`), and
    `negative_slope * (x - threshold)` at or below it.

    Args:
        max_value: non-negative float, the largest output, or `None` for no cap.
        negative_slope: non-negative float, the slope below the threshold.
        threshold: non-negative float, the threshold below which values are damped.
        **kwargs: base `Layer` arguments.

    Example:
    ```python
    y = keras.layers.ReLU(max_value=6.0)(np.array([[-1.0, 3.0, 9.0]]))  # [[0., 3., 6.]]
    ```
    """

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        owner = f"ReLU '{self.name}'"
        if max_value is not None and (not isinstance(max_value, (int, float)) or max_value < 0):
            raise invalid("max_value", "must be a non-negative number or None", max_value, owner)
        if not isinstance(negative_slope, (int, float)) or negative_slope < 0:
            raise invalid("negative_slope", "must be a non-negative number", negative_slope, owner)
        if not isinstance(threshold, (int, float)) or threshold < 0:
            raise invalid("threshold", "must be a non-negative number", threshold, owner)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return activations.relu(
            inputs, negative_slope=self.negative_slope, max_value=self.max_value, threshold=self.threshold
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }
