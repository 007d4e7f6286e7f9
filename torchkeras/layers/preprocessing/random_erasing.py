"""`RandomErasing`: fills a random box of randomly chosen images during training (Zhong et al., 2017)."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["RandomErasing"]


@register_builtin
class RandomErasing(BaseImagePreprocessingLayer):
    """Erases a box of each image with probability `p` (drawn per image in `factor`), as Keras
    draws it: the box's width and height are `sqrt(s)` of the image's, `s` drawn in `scale` for
    each side, at a uniform position; it is filled with `fill_value`, or (when `None`) with
    Gaussian noise times `value_range[1]`, clipped to `value_range`. The identity at inference.

    Args:
        factor: a number `f` (the range `[0, f]`) or a pair, within [0, 1]: the erase probability.
        scale: a number or a pair within [0, 1]: the range of each side's squared fraction.
        fill_value: `None` (noise), a number, or three numbers (one per channel).
        value_range: `(min, max)` of the pixel values.
        seed: optional integer seed.
        data_format: `"channels_last"` or `"channels_first"`.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        scale: Any = (0.02, 0.33),
        fill_value: Any = None,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        factor_range = self.factor
        self._set_factor(scale)
        self.scale, self.factor = self.factor, factor_range
        numbers = fill_value if isinstance(fill_value, (tuple, list)) else [fill_value]
        if fill_value is not None and not (
            len(numbers) in (1, 3)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers)
        ):
            raise invalid(
                "fill_value", "must be None, a number or a list of three numbers", fill_value, self._owner
            )
        self.fill_value = fill_value
        check_value_range(value_range, self._owner)
        self.value_range = value_range
        self.seed = seed
        self._random = SeededRandomness(seed)

    def _bounds(
        self, batch: int, length: int, fraction: torch.Tensor, like: torch.Tensor, generator: Any
    ) -> tuple:
        crop = fraction * length
        start = self._uniform((batch,), 0.0, 1.0, like, generator, dtype=self.compute_dtype) * (length - crop)
        return start.reshape(batch, 1, 1), (start + crop).reshape(batch, 1, 1)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"apply_erasing": (batch,), "batch_masks": bool, "fill_value": like the images}`."""
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batched = images if images.ndim == 4 else images.unsqueeze(0)
        batch = batched.shape[0]
        height, width = self._height_width(batched)
        generator = self._generator(images.device, seed)
        sides = torch.sqrt(
            self._uniform((batch, 2), *self.scale, images, generator, dtype=self.compute_dtype)
        )
        x0, x1 = self._bounds(batch, width, sides[:, 0], images, generator)
        y0, y1 = self._bounds(batch, height, sides[:, 1], images, generator)
        rows = torch.arange(height, device=images.device, dtype=sides.dtype).reshape(1, height, 1)
        cols = torch.arange(width, device=images.device, dtype=sides.dtype).reshape(1, 1, width)
        inside = (cols >= x0) & (cols < x1) & (rows >= y0) & (rows < y1)
        masks = inside.unsqueeze(-1 if self.data_format == "channels_last" else 1)
        probability = self._uniform((batch,), *self.factor, images, generator)
        apply = self._uniform((batch,), 0.0, 1.0, images, generator) < probability
        return {"apply_erasing": apply, "batch_masks": masks, "fill_value": self._fill(batched, generator)}

    def _fill(self, images: torch.Tensor, generator: Any) -> torch.Tensor:
        dtype = self._float_dtype
        low, high = self.value_range
        if self.fill_value is None:
            noise = torch.randn(images.shape, generator=generator, device=images.device, dtype=dtype)
            return (noise * high).clip(low, high)
        values = torch.as_tensor(self.fill_value, dtype=dtype, device=images.device)
        if values.ndim:  # one value per channel
            shape = (1, 1, 1, 3) if self.data_format == "channels_last" else (1, 3, 1, 1)
            values = values.reshape(shape)
        return values.expand(images.shape).clip(low, high)

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        masks = torch.as_tensor(transformation["batch_masks"], device=images.device)
        apply = torch.as_tensor(transformation["apply_erasing"], device=images.device).reshape(-1, 1, 1, 1)
        fill = torch.as_tensor(transformation["fill_value"], device=images.device).to(images.dtype)
        return torch.where(masks & apply, fill, images)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
            "seed": self.seed,
        }
