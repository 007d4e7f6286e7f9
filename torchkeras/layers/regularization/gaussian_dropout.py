"""`GaussianDropout`: multiplies by normal noise of mean 1 during training."""

from __future__ import annotations

import math
from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["GaussianDropout"]


@register_builtin
class GaussianDropout(Layer):
    """Multiplies the inputs by normal noise of mean 1 and standard deviation
    `sqrt(rate / (1 - rate))` in training; the identity at inference.

    Args:
        rate: float in [0, 1), drop probability of the equivalent `Dropout`.
        seed: optional integer seed.
        **kwargs: base `Layer` arguments.

    Call arguments:
        inputs: tensor of any shape.
        training: whether to apply the noise.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise invalid("rate", "must be a number in [0, 1)", rate, f"GaussianDropout '{self.name}'")
        self.rate = rate
        self.seed = seed
        self._random = SeededRandomness(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * self._random.normal(inputs, 1.0, stddev)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
