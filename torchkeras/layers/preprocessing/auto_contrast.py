"""`AutoContrast`: stretches each image's channels to the full value range."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.utils.registry import register_builtin

__all__ = ["AutoContrast"]


@register_builtin
class AutoContrast(BaseImagePreprocessingLayer):
    """Rescales every channel of every image so its darkest pixel becomes `value_range[0]` and
    its brightest `value_range[1]`; a constant channel is left as it was. Deterministic: it runs
    at training and at inference, as in Keras. Integer images are rounded back to their dtype.

    Args:
        value_range: `(min, max)` of the pixel values.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range: Any = (0, 255), **kwargs: Any):
        super().__init__(**kwargs)
        self.value_range = sorted(check_value_range(value_range, self._owner))

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        images = torch.as_tensor(images)
        original = images
        low, high = (float(v) for v in self.value_range)
        values = (images.to(self._float_dtype) - low) / (high - low) * 255.0
        spatial = (-3, -2) if self.data_format == "channels_last" else (-2, -1)
        darkest = values.amin(dim=spatial, keepdim=True)
        brightest = values.amax(dim=spatial, keepdim=True)
        scale = 255.0 / (brightest - darkest)
        results = (values * scale - darkest * scale).clamp(0.0, 255.0)
        results = results / 255.0 * (high - low) + low
        results = torch.where(torch.isnan(results), original.to(results.dtype), results)
        if original.is_floating_point():
            return results
        info = torch.iinfo(original.dtype)
        return torch.round(results).clamp(info.min, info.max).to(original.dtype)

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        self._check_rank(inputs)
        return self.transform_images(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "value_range": self.value_range}
