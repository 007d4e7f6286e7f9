"""`RepeatVector`: repeats a batch of vectors `n` times."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int

__all__ = ["RepeatVector"]


@register_builtin
class RepeatVector(Layer):
    """Turns `(batch, features)` inputs into `(batch, n, features)` by repeating each vector.

    Args:
        n: positive int, the number of repetitions.
        **kwargs: base `Layer` arguments.

    Example:
    ```python
    y = keras.layers.RepeatVector(3)(np.ones((2, 32)))  # shape (2, 3, 32)
    ```
    """

    def __init__(self, n: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.n = check_positive_int(n, "n", f"RepeatVector '{self.name}'")
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.ndim != 2:
            raise ValueError(
                f"RepeatVector '{self.name}': expected inputs of rank 2. "
                f"Received: inputs.shape={tuple(inputs.shape)}"
            )
        return inputs.unsqueeze(1).expand(-1, self.n, -1).contiguous()

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}
