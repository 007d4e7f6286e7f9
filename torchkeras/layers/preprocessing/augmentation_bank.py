"""The augmentation layers `RandAugment` and `AugMix` pick from, built from one `factor` range as
Keras builds them (names are the attributes Keras gives them)."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.preprocessing.auto_contrast import AutoContrast
from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseImagePreprocessingLayer
from torchkeras.layers.preprocessing.equalization import Equalization
from torchkeras.layers.preprocessing.random_brightness import RandomBrightness
from torchkeras.layers.preprocessing.random_color_degeneration import RandomColorDegeneration
from torchkeras.layers.preprocessing.random_contrast import RandomContrast
from torchkeras.layers.preprocessing.random_posterization import RandomPosterization
from torchkeras.layers.preprocessing.random_rotation import RandomRotation
from torchkeras.layers.preprocessing.random_sharpness import RandomSharpness
from torchkeras.layers.preprocessing.random_shear import RandomShear
from torchkeras.layers.preprocessing.random_translation import RandomTranslation
from torchkeras.layers.preprocessing.solarization import Solarization

__all__ = ["GEOMETRIC_AND_TONAL", "PHOTOMETRIC", "make_augmentation_layers"]

# AugMix's default set ("all_ops=False"); RandAugment and AugMix(all_ops=True) add PHOTOMETRIC.
GEOMETRIC_AND_TONAL = (
    "random_shear", "random_translation", "random_rotation", "random_posterization", "solarization",
    "auto_contrast", "equalization",
)  # fmt: skip
PHOTOMETRIC = ("random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness")


def make_augmentation_layers(
    names: tuple[str, ...],
    factor: tuple[float, float],
    value_range: Any,
    interpolation: str,
    seed: int | None,
    data_format: str,
) -> dict[str, BaseImagePreprocessingLayer]:
    """`{name: layer}` for `names`, each drawing its strength in `factor` (Keras's arguments)."""
    common = {"seed": seed, "data_format": data_format}
    tonal = {"value_range": value_range, **common}
    makers = {
        "random_shear": lambda: RandomShear(factor, factor, interpolation=interpolation, **common),
        "random_translation": lambda: RandomTranslation(
            factor, factor, interpolation=interpolation, **common
        ),
        "random_rotation": lambda: RandomRotation(factor, interpolation=interpolation, **common),
        "random_brightness": lambda: RandomBrightness(factor, **tonal),
        "random_color_degeneration": lambda: RandomColorDegeneration(factor, **tonal),
        "random_contrast": lambda: RandomContrast(factor, **tonal),
        "random_sharpness": lambda: RandomSharpness(factor, **tonal),
        "random_posterization": lambda: RandomPosterization(max(1, int(8 * factor[1])), **tonal),
        "solarization": lambda: Solarization(factor, factor, **tonal),
        "auto_contrast": lambda: AutoContrast(value_range, data_format=data_format),
        "equalization": lambda: Equalization(value_range, data_format=data_format),
    }
    return {name: makers[name]() for name in names}
