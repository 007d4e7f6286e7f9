"""`CutMix`: pastes a random box of another image of the batch into each image (Yun et al., 2019)."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseImagePreprocessingLayer
from torchkeras.layers.preprocessing.gamma_sampling import sample_beta
from torchkeras.layers.preprocessing.mix_up import call_on_images_and_labels
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin

__all__ = ["CutMix"]


@register_builtin
class CutMix(BaseImagePreprocessingLayer):
    """CutMix augmentation during training, as Keras draws it: per batch a concentration
    `a ~ U(factor)`, per image `w ~ Beta(a, a)`, a box of `sqrt(1 - w)` times the height and width
    at a uniform position, filled from the image at a random permutation of the batch. Labels (when
    the input is `{"images": ..., "labels": ...}`) are mixed by the box's exact area. Single images
    and inference pass through unchanged.

    Args:
        factor: a number `f` (the range `[0, f]`) or a pair, within [0, 1]: the range of the beta
            concentration.
        seed: optional integer seed.
        data_format: `"channels_last"` or `"channels_first"`.

    Call arguments:
        data: images `(batch, height, width, channels)`, or a dict with `"images"` and `"labels"`.
        training: whether to cut and mix.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self, factor: Any = 1.0, seed: int | None = None, data_format: str | None = None, **kwargs: Any
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> dict | None:
        """`{"permutation_order", "batch_masks", "mix_weight"}` (Keras's keys); `None` for one image."""
        images = data["images"] if isinstance(data, dict) else data
        if not training or images.ndim == 3:
            return None
        batch = images.shape[0]
        height, width = self._height_width(images)
        device = images.device
        generator = self._generator(device, seed)
        low, high = self.factor
        alpha = self._uniform((), low, high, images, generator, dtype=self.compute_dtype) + 1e-6
        ratio = torch.sqrt(1.0 - sample_beta((batch,), alpha, alpha, generator, device))
        x0, x1 = self._crop_bounds(batch, width, ratio, images, generator)
        y0, y1 = self._crop_bounds(batch, height, ratio, images, generator)
        rows = torch.arange(height, device=device, dtype=ratio.dtype).reshape(1, height, 1)
        cols = torch.arange(width, device=device, dtype=ratio.dtype).reshape(1, 1, width)
        inside = (cols >= x0) & (cols < x1) & (rows >= y0) & (rows < y1)  # (batch, height, width)
        masks = inside.unsqueeze(-1 if self.data_format == "channels_last" else 1)
        mix_weight = 1.0 - (x1 - x0) * (y1 - y0) / (width * height)
        permutation = torch.randperm(batch, generator=generator, device=device)
        return {
            "permutation_order": permutation,
            "batch_masks": masks,
            "mix_weight": mix_weight.reshape(batch),
        }

    def _crop_bounds(
        self, batch: int, length: int, ratio: torch.Tensor, like: torch.Tensor, generator: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        crop = ratio * length
        start = self._uniform((batch,), 0.0, 1.0, like, generator, dtype=self.compute_dtype) * (length - crop)
        return start.reshape(batch, 1, 1), (start + crop).reshape(batch, 1, 1)

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        images = torch.as_tensor(images).to(self._float_dtype)
        if not training or transformation is None:
            return images
        order = torch.as_tensor(transformation["permutation_order"], device=images.device).long()
        masks = torch.as_tensor(transformation["batch_masks"], device=images.device)
        return torch.where(masks, images.index_select(0, order), images)

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> torch.Tensor:
        """Mixes `(batch, classes)` labels by the pasted boxes' areas."""
        labels = torch.as_tensor(labels)
        if not training or transformation is None:
            return labels
        weight = torch.as_tensor(transformation["mix_weight"], device=labels.device).reshape(-1, 1)
        order = torch.as_tensor(transformation["permutation_order"], device=labels.device).long()
        labels = labels if labels.is_floating_point() else labels.to(weight.dtype)
        weight = weight.to(labels.dtype)
        return weight * labels + (1.0 - weight) * labels.index_select(0, order)

    def _inference(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def call(self, data: Any, training: bool = False) -> Any:
        return call_on_images_and_labels(self, data, training)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}
