"""`Equalization`: histogram equalization of each channel."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int

__all__ = ["Equalization"]


@register_builtin
class Equalization(BaseImagePreprocessingLayer):
    """Equalizes the histogram of each channel, as Keras does: values are mapped to [0, 255], a
    `bins`-bin histogram is taken per channel over the whole batch, and each value is replaced by
    its rounded cumulative-distribution level; a channel with one occupied bin is left as it is.
    Deterministic; like Keras, it runs when `training` and passes inputs through otherwise.

    Args:
        value_range: `(min, max)` of the pixel values.
        bins: number of histogram bins.
        data_format: `"channels_last"` or `"channels_first"`.
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self, value_range: Any = (0, 255), bins: int = 256, data_format: str | None = None, **kwargs: Any
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = check_positive_int(bins, "bins", self._owner)
        self.value_range = sorted(check_value_range(value_range, self._owner))

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        """Equalizes `images` when `training` (nothing is drawn: `transformation` is unused)."""
        return super().transform_images(images, {}, training)

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        axis = -1 if self.data_format == "channels_last" else -3
        channels = [self._equalize(channel) for channel in images.unbind(axis)]
        return torch.stack(channels, dim=axis)

    def _equalize(self, channel: torch.Tensor) -> torch.Tensor:
        low, high = (float(v) for v in self.value_range)
        values = (channel - low) * (255.0 / (high - low))
        indices = ((values.float() * (self.bins - 1) / 255.0).to(torch.int32)).clamp(0, self.bins - 1)
        histogram = torch.bincount(indices.reshape(-1).long(), minlength=self.bins)
        cdf = histogram.cumsum(0)
        occupied = histogram > 0
        cdf_min = cdf[occupied.long().argmax()]
        denominator = cdf[-1] - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        table = torch.round((cdf - cdf_min) * 255 / denominator).clip(0, 255).to(values.dtype)
        lookup = (values / 255.0 * (self.bins - 1)).clip(0, self.bins - 1).to(torch.int32).long()
        equalized = torch.where(occupied.sum() <= 1, values, table[lookup])
        return equalized * ((high - low) / 255.0) + low

    def compute_output_spec(self, inputs: Any, **kwargs: Any) -> KerasTensor:
        """The input's shape in the compute dtype, without a dry run (the draws read values)."""
        return KerasTensor(tuple(inputs.shape), dtype=self.compute_dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "value_range": self.value_range, "bins": self.bins}
