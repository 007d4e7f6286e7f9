"""`AlphaDropout`: dropout that keeps the mean and variance of SELU activations."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["AlphaDropout"]

# SELU's constants; dropped units take SELU's negative saturation value -ALPHA * SCALE.
_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946


@register_builtin
class AlphaDropout(Layer):
    """In training, sets inputs to SELU's negative saturation value with probability `rate`, then
    applies the affine map that restores the inputs' mean and variance (for self-normalizing
    networks); the identity at inference.

    Args:
        rate: float in [0, 1), fraction of the inputs to drop.
        noise_shape: optional shape of the drop mask, broadcast to the inputs (`None` entries take
            the input's size), e.g. `(batch, 1, features)` to drop the same features at every step.
        seed: optional integer seed.
        **kwargs: base `Layer` arguments.

    Call arguments:
        inputs: tensor of any shape.
        training: whether to apply the dropout.
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise invalid("rate", "must be a number in [0, 1)", rate, f"AlphaDropout '{self.name}'")
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed
        self._random = SeededRandomness(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        if not training or self.rate == 0:
            return inputs
        shape = tuple(inputs.shape)
        if self.noise_shape is not None:
            shape = tuple(shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
        keep = self._random.keep_mask(shape, self.rate, inputs)
        saturation = -_ALPHA * _SCALE
        a = ((1 - self.rate) * (1 + self.rate * saturation**2)) ** -0.5
        b = -a * saturation * self.rate
        dropped = inputs * keep + saturation * (1 - keep)
        return a * dropped + b

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}
