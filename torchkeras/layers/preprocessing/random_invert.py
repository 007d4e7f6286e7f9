"""`RandomInvert`: inverts the pixel values of randomly chosen images during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomInvert"]


@register_builtin
class RandomInvert(BaseImagePreprocessingLayer):
    """Replaces each image by `value_range[1] - image` with a random probability during
    training; the identity at inference.

    Per image, a probability `p` is drawn in `factor` and the image is inverted when a uniform
    draw falls below `p` (Keras's rule), so `factor=1.0` inverts about half the images and
    `factor=(1.0, 1.0)` inverts all of them.

    Args:
        factor: a number `f` in [0, 1] (probabilities in `[0, f]`) or a pair.
        value_range: `(min, max)` of the pixel values.
        seed: optional integer seed.
        data_format: `"channels_last"` or `"channels_first"`.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = check_value_range(value_range, self._owner)
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"apply_inversion": (batch,) booleans}` (Keras's key)."""
        if not training:
            return None
        batch = 1 if data.ndim == 3 else data.shape[0]
        probability = self._uniform((batch,), self.factor[0], self.factor[1], data, seed)
        threshold = self._uniform((batch,), 0.0, 1.0, data, seed)
        return {"apply_inversion": threshold < probability}

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        apply = torch.as_tensor(transformation["apply_inversion"], device=images.device).reshape(-1, 1, 1, 1)
        return torch.where(apply, self.value_range[1] - images, images)

    def _inference(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
