"""`RandomGrayscale`: turns randomly chosen images gray during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseImagePreprocessingLayer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["RandomGrayscale"]


@register_builtin
class RandomGrayscale(BaseImagePreprocessingLayer):
    """Replaces each image, with probability `factor`, by its luma `0.2989 R + 0.587 G + 0.114 B`
    repeated over the channels (the shape is kept); the identity at inference.

    Args:
        factor: the probability of turning an image gray, in [0, 1].
        data_format: `"channels_last"` or `"channels_first"`.
        seed: optional integer seed.
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self, factor: float = 0.5, data_format: str | None = None, seed: int | None = None, **kwargs: Any
    ):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor <= 1:
            raise invalid("factor", "should be between 0 and 1", factor, self._owner)
        self.factor = factor
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> torch.Tensor:
        """A boolean `(batch, 1, 1, 1)` tensor: which images turn gray (Keras returns it bare)."""
        batch = data.shape[0] if data.ndim == 4 else 1
        return (self._uniform((batch,), 0.0, 1.0, data, seed) < self.factor).reshape(batch, 1, 1, 1)

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        images = torch.as_tensor(images)
        if not training:
            return images
        if transformation is None:
            transformation = self.get_random_transformation(images)
        axis = -1 if self.data_format == "channels_last" else -3
        if images.shape[axis] not in (1, 3):
            raise ValueError(
                f"{self._owner}: expected 1 or 3 channels. Received: images.shape={tuple(images.shape)}"
            )
        gray = images
        if images.shape[axis] == 3:
            red, green, blue = images.unbind(dim=axis)
            gray = (0.2989 * red + 0.587 * green + 0.114 * blue).to(images.dtype).unsqueeze(axis)
        apply = torch.as_tensor(transformation, device=images.device)
        if images.ndim == 3:
            apply = apply.reshape(1, 1, 1)
        return torch.where(apply, gray, images)

    def _inference(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}
