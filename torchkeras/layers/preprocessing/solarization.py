"""`Solarization`: inverts the pixels above a threshold (optionally after brightening)."""

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

__all__ = ["Solarization"]


@register_builtin
class Solarization(BaseImagePreprocessingLayer):
    """Solarizes images during training: on the 0-255 scale, each pixel gets a random
    `addition`, is clipped to [0, 255], and is replaced by `255 - pixel` when it reaches a random
    `threshold`. Pixels are mapped from and back to `value_range`; integer images are rounded.
    The identity at inference.

    Args:
        addition_factor: a number `f` in [0, 1] (additions drawn in `[0, 255 f)`) or a pair.
        threshold_factor: a number `f` in [0, 1] (thresholds drawn in `[0, 255 f)`) or a pair.
        value_range: `(min, max)` of the pixel values.
        seed: optional integer seed.

    Example:
    ```python
    layer = keras.layers.Solarization(threshold_factor=(0.5, 0.5))  # invert pixels >= 127.5
    ```
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        addition_factor: Any = 0.0,
        threshold_factor: Any = 0.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.seed = seed
        self._random = SeededRandomness(seed)
        self.addition_factor = self._unit_range(addition_factor, "addition_factor")
        self.threshold_factor = self._unit_range(threshold_factor, "threshold_factor")
        self.value_range = sorted(check_value_range(value_range, self._owner))

    def _unit_range(self, factor: Any, argument: str) -> tuple[float, float]:
        expected = "must be a number (or a list of two numbers) in [0, 1]"

        def valid(value: Any) -> bool:
            return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1

        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(valid(f) for f in factor):
                raise invalid(argument, expected, factor, self._owner)
            lower, upper = sorted(factor)
            return lower, upper
        if not valid(factor):
            raise invalid(argument, expected, factor, self._owner)
        return 0, factor

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """`{"additions", "thresholds"}` of shape `(batch, 1, 1, 1)` on the 0-255 scale."""
        if not training:
            return None
        shape = (data.shape[0], 1, 1, 1) if data.ndim == 4 else (1, 1, 1)
        low, high = self.addition_factor
        additions = self._uniform(shape, low, high * 255, data, seed, self.compute_dtype)
        low, high = self.threshold_factor
        thresholds = self._uniform(shape, low, high * 255, data, seed, self.compute_dtype)
        return {"additions": additions, "thresholds": thresholds}

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        images = torch.as_tensor(images)
        original_dtype = images.dtype
        values = images.to(self._float_dtype)
        if not training or transformation is None:
            return values
        low, high = (float(v) for v in self.value_range)
        scaled = (values - low) / (high - low) * 255.0
        additions = torch.as_tensor(transformation["additions"], device=values.device).to(values.dtype)
        thresholds = torch.as_tensor(transformation["thresholds"], device=values.device).to(values.dtype)
        if images.ndim == 3:
            additions, thresholds = additions.reshape(1, 1, 1), thresholds.reshape(1, 1, 1)
        results = (scaled + additions).clamp(0, 255)
        results = torch.where(results < thresholds, results, 255 - results)
        results = results / 255.0 * (high - low) + low
        if original_dtype.is_floating_point or original_dtype == results.dtype:
            return results
        info = torch.iinfo(original_dtype)
        return torch.round(results).clamp(info.min, info.max).to(original_dtype)

    def _inference(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.to(self._float_dtype)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "addition_factor": self.addition_factor,
            "threshold_factor": self.threshold_factor,
            "seed": self.seed,
        }
