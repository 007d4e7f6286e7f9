"""`MixUp`: blends each image (and its label) with another image of the batch (Zhang et al., 2017)."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseImagePreprocessingLayer
from torchkeras.layers.preprocessing.gamma_sampling import sample_beta
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["MixUp", "call_on_images_and_labels"]


def call_on_images_and_labels(layer: Any, data: Any, training: bool) -> Any:
    """The call of the label-mixing layers: `data` is a batch of images, or a dict with
    `"images"` and optionally `"labels"` (one-hot or soft, `(batch, classes)`), transformed
    with one draw."""
    if not isinstance(data, dict):
        layer._check_rank(data)
        if not training:
            return layer._inference(data)
        return layer.transform_images(data, layer.get_random_transformation(data), training=True)
    unknown = set(data) - {"images", "labels"}
    if "images" not in data or unknown:
        raise ValueError(
            f"{layer._owner}: a dict input must hold 'images' and optionally 'labels' (bounding boxes "
            f"and segmentation masks are not supported). Received keys: {sorted(data)}"
        )
    images = torch.as_tensor(data["images"])
    layer._check_rank(images)
    if not training:
        return {**data, "images": layer._inference(images)}
    transformation = layer.get_random_transformation(data)
    outputs = {"images": layer.transform_images(images, transformation, training=True)}
    if "labels" in data:
        outputs["labels"] = layer.transform_labels(torch.as_tensor(data["labels"]), transformation)
    return outputs


@register_builtin
class MixUp(BaseImagePreprocessingLayer):
    """MixUp augmentation during training: each image becomes `w * image + (1 - w) * other`, with
    `other` the image at a random permutation of the batch and `w ~ Beta(alpha, alpha)` per image;
    labels (when the input is `{"images": ..., "labels": ...}`) are mixed with the same weights.
    The identity at inference.

    Args:
        alpha: the beta distribution's concentration; small values keep images nearly intact.
        data_format: `"channels_last"` or `"channels_first"`.
        seed: optional integer seed.

    Call arguments:
        data: images `(batch, height, width, channels)`, or a dict with `"images"` and `"labels"`.
        training: whether to mix.

    Example:
    ```python
    mixed = keras.layers.MixUp(alpha=0.2)({"images": images, "labels": one_hot}, training=True)
    ```
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self, alpha: float = 0.2, data_format: str | None = None, seed: int | None = None, **kwargs: Any
    ):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise invalid("alpha", "must be a positive number", alpha, self._owner)
        self.alpha = alpha
        self.seed = seed
        self._random = SeededRandomness(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> dict:
        """`{"mix_weight": (batch,), "permutation_order": (batch,)}` (Keras's keys)."""
        images = data["images"] if isinstance(data, dict) else data
        batch = images.shape[0] if images.ndim == 4 else 1
        generator = self._generator(images.device, seed)
        permutation = torch.randperm(batch, generator=generator, device=images.device)
        mix_weight = sample_beta((batch,), self.alpha, self.alpha, generator, images.device)
        return {"mix_weight": mix_weight, "permutation_order": permutation}

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        images = torch.as_tensor(images).to(self._float_dtype)
        if not training or transformation is None:
            return images
        weight = torch.as_tensor(transformation["mix_weight"], device=images.device).to(images.dtype)
        order = torch.as_tensor(transformation["permutation_order"], device=images.device).long()
        weight = weight.reshape(-1, *(1,) * (images.ndim - 1))
        return weight * images + (1.0 - weight) * images.index_select(0, order)

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> torch.Tensor:
        """Mixes `(batch, classes)` labels with the images' weights and permutation."""
        labels = torch.as_tensor(labels)
        if not training:
            return labels
        weight = torch.as_tensor(transformation["mix_weight"], device=labels.device)
        order = torch.as_tensor(transformation["permutation_order"], device=labels.device).long()
        labels = labels.to(weight.dtype) if not labels.is_floating_point() else labels
        weight = weight.to(labels.dtype).reshape(-1, 1)
        return weight * labels + (1.0 - weight) * labels.index_select(0, order)

    def _inference(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def call(self, data: Any, training: bool = False) -> Any:
        return call_on_images_and_labels(self, data, training)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}
