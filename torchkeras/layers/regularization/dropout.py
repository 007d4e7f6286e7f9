"""`Dropout`: randomly zeroes inputs during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["Dropout"]


@register_builtin
class Dropout(Layer):
    """Sets inputs to 0 with probability `rate` during training, scaling the rest by
    `1 / (1 - rate)`; the identity at inference.

    Args:
        rate: float in [0, 1), fraction of the inputs to drop.
        noise_shape: optional shape of the binary mask, broadcast to the input (`None` entries
            take the input's size), e.g. `(batch, 1, features)` to drop whole features.
        seed: optional integer seed.

    Call arguments:
        inputs: input tensor of any shape.
        training: whether to apply dropout.
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise invalid("rate", "must be a number in [0, 1]", rate, f"Dropout '{self.name}'")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._random = SeededRandomness(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        if not training or self.rate == 0:
            return inputs
        generator = self._random.generator(inputs.device)
        if self.noise_shape is None and generator is None:
            return torch.nn.functional.dropout(inputs, self.rate, training=True)
        shape = self.noise_shape or tuple(inputs.shape)
        shape = tuple(inputs.shape[i] if d is None else d for i, d in enumerate(shape))
        keep = torch.rand(shape, generator=generator, device=inputs.device) >= self.rate
        return inputs * keep.to(inputs.dtype) / (1.0 - self.rate)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        noise_shape = list(self.noise_shape) if self.noise_shape is not None else None
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape, "seed": self.seed}
