"""`RandomCrop`: crops images at a random location during training, centrally at inference."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseImagePreprocessingLayer
from torchkeras.layers.preprocessing.image_ops import aspect_crop_box, resize
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int

__all__ = ["RandomCrop"]


@register_builtin
class RandomCrop(BaseImagePreprocessingLayer):
    """Crops images to `(height, width)` at a random location during training.

    The whole batch is cropped at the same location. At inference, and in training when an
    image is smaller than the target, the largest central window with the target's aspect
    ratio is cropped and resized (bilinear) to `(height, width)`, as Keras documents it.

    Args:
        height: positive integer, the output height.
        width: positive integer, the output width.
        seed: optional integer seed (Keras records a random one in the config when omitted).
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `keras.config.image_data_format()`.

    Call arguments:
        inputs: images of rank 3 or 4.
        training: whether to crop at random.

    Output shape:
        The input shape with height and width replaced by `height` and `width`; floats.
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        height: int,
        width: int,
        seed: int | None = None,
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, name=name, **kwargs)
        self.height = check_positive_int(height, "height", self._owner)
        self.width = check_positive_int(width, "width", self._owner)
        self.seed = seed if seed is not None else self._default_seed()
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`(top, left)` of a random window (integer tensors) when training on images at least
        as large as the target; `None` (the central window, resized) otherwise."""
        height, width = self._height_width(data)
        if not (training and height >= self.height and width >= self.width):
            return None
        generator = self._generator(data.device, seed)
        top = self._uniform((), 0.0, float(height - self.height + 1), data, generator)
        left = self._uniform((), 0.0, float(width - self.width + 1), data, generator)
        return top.long(), left.long()

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        """Crops the `(height, width)` window at `transformation = (top, left)` (ints or integer
        tensors), or, for `None`, the central window of the target's aspect ratio, resized."""
        images = torch.as_tensor(images).to(self._float_dtype)
        batched = images if images.ndim == 4 else images.unsqueeze(0)
        if transformation is None:
            cropped = self._central(batched)
        else:
            cropped = self._window(batched, *transformation)
        return cropped if images.ndim == 4 else cropped.squeeze(0)

    def _window(self, images: torch.Tensor, top: Any, left: Any) -> torch.Tensor:
        height_axis, width_axis = (1, 2) if self.data_format == "channels_last" else (2, 3)
        if isinstance(top, torch.Tensor) or isinstance(left, torch.Tensor):
            # Offsets drawn on the device are used there: gathered, never read back to the host.
            rows = torch.as_tensor(top, device=images.device) + torch.arange(
                self.height, device=images.device
            )
            cols = torch.as_tensor(left, device=images.device) + torch.arange(
                self.width, device=images.device
            )
            return images.index_select(height_axis, rows).index_select(width_axis, cols)
        return images.narrow(height_axis, int(top), self.height).narrow(width_axis, int(left), self.width)

    def _central(self, images: torch.Tensor) -> torch.Tensor:
        height, width = self._height_width(images)
        top, left, crop_height, crop_width = aspect_crop_box(height, width, self.height, self.width)
        if (crop_height, crop_width) == (self.height, self.width):
            return self._window(images, top, left)
        return resize(
            images, self.height, self.width, crop_to_aspect_ratio=True, data_format=self.data_format
        )

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        self._check_rank(inputs)
        transformation = self.get_random_transformation(inputs, training=training)
        return self.transform_images(inputs, transformation, training=training)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = list(input_shape)
        height_axis, width_axis = (-3, -2) if self.data_format == "channels_last" else (-2, -1)
        shape[height_axis], shape[width_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width, "seed": self.seed}
