"""`RandAugment`: a few augmentations picked at random per batch (Cubuk et al., 2019)."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.preprocessing.augmentation_bank import make_augmentation_layers
from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int

__all__ = ["RandAugment"]

# Keras's order (the index a draw picks).
_LAYERS = (
    "random_shear", "random_translation", "random_rotation", "random_brightness",
    "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
    "solarization", "auto_contrast", "equalization",
)  # fmt: skip


@register_builtin
class RandAugment(BaseImagePreprocessingLayer):
    """RandAugment during training: `num_ops` times, one of eleven augmentations (shear,
    translation, rotation, brightness, color degeneration, contrast, sharpness, posterization,
    solarization, auto-contrast, equalization), picked uniformly, is applied to the whole batch,
    each drawing its strength in `factor`. The identity at inference.

    Only the picked augmentations draw and run (Keras runs all eleven and keeps the picked ones;
    the distribution of outputs is the same). The picks are drawn on the CPU, so no device value
    is read back.

    Args:
        value_range: `(min, max)` of the pixel values.
        num_ops: number of augmentations applied in sequence.
        factor: a number `f` (the range `[0, f]`) or a pair, within [0, 1]: the strength.
        interpolation: `"bilinear"` or `"nearest"`, for the geometric augmentations.
        seed: optional integer seed.
        data_format: `"channels_last"` or `"channels_first"`.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        value_range: Any = (0, 255),
        num_ops: int = 2,
        factor: Any = 0.5,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        check_value_range(value_range, self._owner)
        self.value_range = value_range
        self.num_ops = check_positive_int(num_ops, "num_ops", self._owner)
        self._set_factor(factor)
        self.interpolation = interpolation
        self.seed = seed
        self._random = SeededRandomness(seed)
        bank = make_augmentation_layers(
            _LAYERS, self.factor, value_range, interpolation, seed, self.data_format
        )
        for name, layer in bank.items():
            setattr(self, name, layer)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"layer_idxes": (num_ops,) CPU int tensor, "transforms": {name: transformation}}` (the
        picked layers' draws only)."""
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        picks = torch.randint(
            0, len(_LAYERS), (self.num_ops,), generator=self._generator(torch.device("cpu"), seed)
        )
        generator = self._generator(images.device, seed)
        transforms = {}
        for index in picks.tolist():
            name = _LAYERS[index]
            if name not in transforms:
                transforms[name] = getattr(self, name).get_random_transformation(images, seed=generator)
        return {"layer_idxes": picks, "transforms": transforms}

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        images = torch.as_tensor(images).to(self._float_dtype)
        if not training or transformation is None:
            return images
        for index in torch.as_tensor(transformation["layer_idxes"]).tolist():
            name = _LAYERS[index]
            images = getattr(self, name).transform_images(images, transformation["transforms"].get(name))
        return images.to(self._float_dtype)

    def compute_output_spec(self, inputs: Any, **kwargs: Any) -> KerasTensor:
        """The input's shape in the compute dtype, without a dry run (the draws read values)."""
        return KerasTensor(tuple(inputs.shape), dtype=self.compute_dtype)

    def _inference(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_ops": self.num_ops,
            "factor": self.factor,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }
