"""`draw_segmentation_masks`: paints class masks over images (Keras's colors and blending)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchkeras import config

__all__ = ["draw_segmentation_masks"]


def _numpy(value: Any) -> np.ndarray:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def _palette(num_classes: int) -> list[list[int]]:
    base = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * base) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(
    images: Any,
    segmentation_masks: Any,
    num_classes: int | None = None,
    color_mapping: dict[int, Any] | None = None,
    alpha: float = 0.8,
    blend: bool = True,
    ignore_index: int = -1,
    data_format: str | None = None,
) -> np.ndarray:
    """Paints each class of `segmentation_masks` over `images` in its color.

    Args:
        images: a batch of images, `(batch, height, width, 3)` (or channels first).
        segmentation_masks: integer class masks, `(batch, height, width, 1)` (or channels first).
        num_classes: the number of classes; by default the largest class index in the masks
            plus one (Keras takes the largest index itself, which fails on its top class).
        color_mapping: optional `{class index: (r, g, b)}`; Keras's palette by default.
        alpha: opacity of the masks when blending.
        blend: mix masks and images with `alpha` (otherwise the mask colors replace the
            pixels, returned as float32).
        ignore_index: mask value left unpainted when blending.
        data_format: `"channels_last"` or `"channels_first"`; the global setting by default.

    Returns:
        The painted images as a NumPy array (uint8 when blending), channels last.
    """
    data_format = data_format or config.image_data_format()
    images = _numpy(images).astype("float32")
    masks = _numpy(segmentation_masks)
    if images.ndim != 4:
        raise ValueError(f"`images` must be batched 4D tensor. Received: images.shape={images.shape}")
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
        masks = masks.transpose(0, 2, 3, 1)
    if masks.dtype.kind not in "iu":
        raise TypeError(
            f"`segmentation_masks` must be in integer dtype. Received: segmentation_masks.dtype={masks.dtype}"
        )
    if num_classes is None:
        num_classes = int(masks.max()) + 1
    colors = (
        _palette(num_classes) if color_mapping is None else [color_mapping[i] for i in range(num_classes)]
    )
    valid = masks[..., 0] != ignore_index
    painted = images.copy()
    for index, color in enumerate(colors):
        painted[masks[..., 0] == index] = np.asarray(color, dtype=painted.dtype)
    if not blend:
        return painted.astype("float32")
    mixed = images * (1 - alpha) + painted * alpha
    return np.where(valid[..., None], mixed, images).astype("uint8")
