"""`GaussianNoise`: adds zero-centered normal noise during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["GaussianNoise"]


@register_builtin
class GaussianNoise(Layer):
    """Adds normal noise of mean 0 and standard deviation `stddev` in training (a form of data
    augmentation for real-valued inputs); the identity at inference.

    Args:
        stddev: float in [0, 1], standard deviation of the noise.
        seed: optional integer seed.
        **kwargs: base `Layer` arguments.

    Call arguments:
        inputs: tensor of any shape.
        training: whether to add the noise.
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or not 0 <= stddev <= 1:
            raise invalid("stddev", "must be a number in [0, 1]", stddev, f"GaussianNoise '{self.name}'")
        self.stddev = stddev
        self.seed = seed
        self._random = SeededRandomness(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        if not training or self.stddev == 0:
            return inputs
        return inputs + self._random.normal(inputs, 0.0, self.stddev)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
