"""`RandomColorJitter`: random brightness, contrast, saturation and hue changes, in that order."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.preprocessing.random_brightness import RandomBrightness
from torchkeras.layers.preprocessing.random_contrast import RandomContrast
from torchkeras.layers.preprocessing.random_hue import RandomHue
from torchkeras.layers.preprocessing.random_saturation import RandomSaturation
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["RandomColorJitter"]

_STEPS = ("brightness", "contrast", "saturation", "hue")


@register_builtin
class RandomColorJitter(BaseImagePreprocessingLayer):
    """Applies `RandomBrightness`, `RandomContrast`, `RandomSaturation` and `RandomHue` (those
    whose factor is given), one after the other, each with its own draw; the identity at inference.

    Args:
        value_range: `(min, max)` of the pixel values, shared by the four steps.
        brightness_factor, contrast_factor, saturation_factor, hue_factor: the `factor` of each
            step (see those layers), or `None` to skip it.
        seed: optional integer seed.
        data_format: `"channels_last"` or `"channels_first"`.

    Example:
    ```python
    jitter = keras.layers.RandomColorJitter(value_range=(0, 1), brightness_factor=0.2,
                                            contrast_factor=0.2, hue_factor=0.1)
    images = jitter(images, training=True)
    ```
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        value_range: Any = (0, 255),
        brightness_factor: Any = None,
        contrast_factor: Any = None,
        saturation_factor: Any = None,
        hue_factor: Any = None,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        check_value_range(value_range, self._owner)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self.seed = seed
        self._random = SeededRandomness(seed)
        common = {"value_range": value_range, "seed": seed, "data_format": self.data_format}
        self.random_brightness = (
            RandomBrightness(brightness_factor, **common) if brightness_factor is not None else None
        )
        self.random_contrast = (
            RandomContrast(contrast_factor, **common) if contrast_factor is not None else None
        )
        self.random_saturation = (
            RandomSaturation(saturation_factor, **common) if saturation_factor is not None else None
        )
        self.random_hue = RandomHue(hue_factor, **common) if hue_factor is not None else None

    def _steps(self) -> list[tuple[str, BaseImagePreprocessingLayer]]:
        layers = (self.random_brightness, self.random_contrast, self.random_saturation, self.random_hue)
        return [(name, layer) for name, layer in zip(_STEPS, layers) if layer is not None]

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> dict:
        """`{step: that layer's transformation}` for the steps in use, drawn from this layer's
        generator."""
        images = data["images"] if isinstance(data, dict) else data
        generator = self._generator(images.device, seed)
        return {
            name: layer.get_random_transformation(images, seed=generator) for name, layer in self._steps()
        }

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        images = torch.as_tensor(images).to(self._float_dtype)
        if not training:
            return images
        if transformation is None:
            transformation = self.get_random_transformation(images)
        for name, layer in self._steps():
            images = layer.transform_images(images, transformation[name])
        return images.to(self._float_dtype)

    def _inference(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "brightness_factor": self.brightness_factor,
            "contrast_factor": self.contrast_factor,
            "saturation_factor": self.saturation_factor,
            "hue_factor": self.hue_factor,
            "seed": self.seed,
        }
