"""`RandomFlip`: flips images horizontally and/or vertically during training."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseImagePreprocessingLayer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_choice

__all__ = ["RandomFlip"]

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


@register_builtin
class RandomFlip(BaseImagePreprocessingLayer):
    """Randomly flips each image during training; the identity at inference.

    Each image is flipped with probability 1/2. With `"horizontal_and_vertical"` the same draw
    flips both axes, as in Keras, so an image is either kept or turned by 180 degrees.

    Args:
        mode: `"horizontal"` (left-right), `"vertical"` (up-down) or `"horizontal_and_vertical"`.
        seed: optional integer seed.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `keras.config.image_data_format()`.

    Call arguments:
        inputs: images of rank 3 `(height, width, channels)` or 4 (a batch); channels first
            with `data_format="channels_first"`.
        training: whether to flip.

    Output shape:
        Same as the input, in the compute dtype.

    Example:
    ```python
    layer = keras.layers.RandomFlip("horizontal", seed=1)
    flipped = layer(images, training=True)
    ```
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        mode: str = HORIZONTAL_AND_VERTICAL,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.mode = check_choice(mode, (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL), "mode", self._owner)
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"flips": bool tensor (batch, 1, 1, 1), "input_shape": shape}` (Keras's keys)."""
        if not training:
            return None
        shape = tuple(data.shape)
        flips_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        flips = self._uniform(flips_shape, 0.0, 1.0, data, seed) <= 0.5
        return {"flips": flips, "input_shape": shape}

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        flips = torch.as_tensor(transformation["flips"], device=images.device).reshape(-1, 1, 1, 1)
        height_axis, width_axis = (1, 2) if self.data_format == "channels_last" else (2, 3)
        axes = {
            HORIZONTAL: (width_axis,),
            VERTICAL: (height_axis,),
            HORIZONTAL_AND_VERTICAL: (height_axis, width_axis),
        }[self.mode]
        return torch.where(flips, torch.flip(images, axes), images)

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}
