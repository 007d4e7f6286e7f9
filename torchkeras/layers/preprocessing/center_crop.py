"""`CenterCrop`: crops the central window of images."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseImagePreprocessingLayer
from torchkeras.layers.preprocessing.image_ops import resize
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int

__all__ = ["CenterCrop"]


@register_builtin
class CenterCrop(BaseImagePreprocessingLayer):
    """Crops the central `(height, width)` window of images, in training and at inference.

    When the target is larger than the image on either side, the largest central window with
    the target's aspect ratio is cropped instead and resized (bilinear) to `(height, width)`.
    With an odd difference in size the window sits one pixel nearer the top / left.

    Args:
        height: positive integer, the output height.
        width: positive integer, the output width.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `keras.config.image_data_format()`.

    Input shape:
        Images of rank 3 or 4.

    Output shape:
        The same with `height` and `width` replaced; floats.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.height = check_positive_int(height, "height", self._owner)
        self.width = check_positive_int(width, "width", self._owner)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self._check_rank(inputs)
        return self.transform_images(inputs)

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        """Crops (or, for small images, crops to the aspect ratio and resizes) `images`."""
        images = torch.as_tensor(images).to(self._float_dtype)
        batched = images if images.ndim == 4 else images.unsqueeze(0)
        height, width = self._height_width(batched)
        if height >= self.height and width >= self.width:
            top, left = (height - self.height) // 2, (width - self.width) // 2
            height_axis, width_axis = (1, 2) if self.data_format == "channels_last" else (2, 3)
            cropped = batched.narrow(height_axis, top, self.height).narrow(width_axis, left, self.width)
        else:
            cropped = resize(
                batched, self.height, self.width, crop_to_aspect_ratio=True, data_format=self.data_format
            )
        return cropped if images.ndim == 4 else cropped.squeeze(0)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = list(input_shape)
        if len(shape) not in (3, 4):
            raise ValueError(f"{self._owner}: `input_shape` must have rank 3 or 4. Received: {tuple(shape)}")
        height_axis, width_axis = (-3, -2) if self.data_format == "channels_last" else (-2, -1)
        shape[height_axis], shape[width_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}
