"""`plot_segmentation_mask_gallery`: images beside their painted true and predicted masks."""

from __future__ import annotations

from typing import Any

import numpy as np

from torchkeras import config
from torchkeras.visualization.draw_segmentation_masks import _numpy, draw_segmentation_masks
from torchkeras.visualization.plot_image_gallery import plot_image_gallery

__all__ = ["plot_segmentation_mask_gallery"]


def plot_segmentation_mask_gallery(
    images: Any,
    num_classes: int,
    value_range: tuple[float, float] = (0, 255),
    y_true: Any = None,
    y_pred: Any = None,
    color_mapping: dict[int, Any] | None = None,
    blend: bool = True,
    alpha: float = 0.8,
    ignore_index: int = -1,
    data_format: str | None = None,
    **kwargs: Any,
) -> None:
    """One row per image: the image, then its true mask and its predicted mask painted over it.

    Args:
        images: a batch of images.
        num_classes: the number of classes.
        value_range: the images' value range.
        y_true, y_pred: optional integer masks `(batch, height, width, 1)`.
        color_mapping, blend, alpha, ignore_index: see `draw_segmentation_masks`.
        data_format: `"channels_last"` or `"channels_first"`; the global setting by default.
        **kwargs: passed to `plot_image_gallery` (`path`, `show`, `scale`, ...).
    """
    data_format = data_format or config.image_data_format()
    images = _numpy(images)
    if images.ndim != 4:
        raise ValueError(f"`images` must be batched 4D tensor. Received: images.shape={images.shape}")
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    gallery = []
    drawn = {}
    for name, masks in (("true", y_true), ("pred", y_pred)):
        if masks is not None:
            masks = _numpy(masks)
            if data_format == "channels_first":
                masks = masks.transpose(0, 2, 3, 1)
            drawn[name] = draw_segmentation_masks(
                images, masks.astype("int32"), num_classes=num_classes, color_mapping=color_mapping,
                alpha=alpha, ignore_index=ignore_index, blend=blend, data_format="channels_last",
            )  # fmt: skip
    for index in range(images.shape[0]):
        gallery.append(images[index].astype("float32"))
        gallery.extend(drawn[name][index].astype("float32") for name in ("true", "pred") if name in drawn)
    plot_image_gallery(
        np.stack(gallery), value_range=value_range, rows=images.shape[0], cols=1 + len(drawn),
        data_format="channels_last", **kwargs,
    )  # fmt: skip
