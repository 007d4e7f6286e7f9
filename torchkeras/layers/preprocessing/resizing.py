"""`Resizing`: resizes images to a fixed height and width."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseImagePreprocessingLayer
from torchkeras.layers.preprocessing.image_ops import RESIZE_INTERPOLATIONS, resize
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_choice, check_positive_int, invalid

__all__ = ["Resizing"]


@register_builtin
class Resizing(BaseImagePreprocessingLayer):
    """Resizes images to `(height, width)`, in training and at inference.

    Numerics are those of Keras on torch: `torch.nn.functional.interpolate` with half-pixel
    centers (`align_corners=False`), `"nearest"` as `nearest-exact`, no antialiasing unless
    asked. Integer images are resized in float32, rounded and returned in their dtype.

    Args:
        height: positive integer, the output height.
        width: positive integer, the output width.
        interpolation: `"bilinear"`, `"nearest"` or `"bicubic"` (Keras's `"lanczos3"` and
            `"lanczos5"` are not available on torch).
        crop_to_aspect_ratio: if `True`, crop the largest central window with the target's
            aspect ratio before resizing, so the image is not distorted.
        pad_to_aspect_ratio: if `True`, pad the short side evenly (with `fill_value`) to the
            target's aspect ratio before resizing.
        fill_mode: how padding is filled; only `"constant"`.
        fill_value: value of the padding.
        antialias: whether to low-pass filter when downsampling (bilinear and bicubic only).
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `keras.config.image_data_format()`.

    Input shape:
        `(..., height, width, channels)` (channels last) or `(..., channels, height, width)`,
        rank 3 or 4.

    Output shape:
        The same with `height` and `width` replaced.

    Example:
    ```python
    layer = keras.layers.Resizing(64, 64, crop_to_aspect_ratio=True)
    small = layer(images)  # (batch, 64, 64, channels)
    ```
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.height = check_positive_int(height, "height", self._owner)
        self.width = check_positive_int(width, "width", self._owner)
        self.interpolation = check_choice(
            interpolation, tuple(RESIZE_INTERPOLATIONS), "interpolation", self._owner
        )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise invalid(
                "pad_to_aspect_ratio",
                "cannot be True together with `crop_to_aspect_ratio`",
                pad_to_aspect_ratio,
                self._owner,
            )
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = check_choice(fill_mode, ("constant",), "fill_mode", self._owner)
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self._check_rank(inputs)
        return self.transform_images(inputs)

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        """Resizes `images` (rank 3 or 4), keeping their dtype."""
        images = torch.as_tensor(images)
        batched = images if images.ndim == 4 else images.unsqueeze(0)
        resized = resize(
            batched,
            self.height,
            self.width,
            interpolation=self.interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )
        return resized if images.ndim == 4 else resized.squeeze(0)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = list(input_shape)
        height_axis, width_axis = (-3, -2) if self.data_format == "channels_last" else (-2, -1)
        shape[height_axis], shape[width_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        }
