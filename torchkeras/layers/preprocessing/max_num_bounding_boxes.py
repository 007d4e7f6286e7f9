"""`MaxNumBoundingBoxes`: pads or truncates each image's bounding boxes to a fixed number."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import BaseImagePreprocessingLayer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int, invalid

__all__ = ["MaxNumBoundingBoxes"]


@register_builtin
class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Makes every batch hold exactly `max_number` boxes per image: `bounding_boxes["boxes"]`
    `(batch, n, 4)` and `["labels"]` `(batch, n)` are cut to the first `max_number` or padded with
    `fill_value`; images (and any other entries) pass through. Deterministic, so it runs at
    training and at inference alike, as in Keras.

    Args:
        max_number: the number of boxes per image.
        fill_value: value of the padding boxes and labels.
        bounding_box_format: the boxes' format (e.g. `"xyxy"`); recorded only, as padding and
            truncation do not depend on it.

    Call arguments:
        data: `{"images": ..., "bounding_boxes": {"boxes": ..., "labels": ...}}` (other keys kept),
            or images alone (returned unchanged).

    Example:
    ```python
    layer = keras.layers.MaxNumBoundingBoxes(max_number=10)
    out = layer({"images": images, "bounding_boxes": {"boxes": boxes, "labels": labels}})
    ```
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self, max_number: int, fill_value: int = -1, bounding_box_format: str | None = None, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.max_number = check_positive_int(int(max_number), "max_number", self._owner)
        self.fill_value = int(fill_value)

    def transform_bounding_boxes(
        self, bounding_boxes: dict, transformation: Any = None, training: bool = True
    ) -> dict:
        """`bounding_boxes` with `boxes` `(batch, max_number, 4)` and `labels` `(batch, max_number)`."""
        extra = set(bounding_boxes) - {"boxes", "labels"}
        if extra or "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
            raise invalid(
                "bounding_boxes",
                "must be a dict with 'boxes' and 'labels' only",
                sorted(bounding_boxes),
                self._owner,
            )
        boxes = torch.as_tensor(bounding_boxes["boxes"])[:, : self.max_number]
        labels = torch.as_tensor(bounding_boxes["labels"])[:, : self.max_number]
        missing = self.max_number - boxes.shape[1]
        if missing > 0:
            boxes = F.pad(boxes, (0, 0, 0, missing), value=self.fill_value)
            labels = F.pad(labels, (0, missing), value=self.fill_value)
        return {**bounding_boxes, "boxes": boxes, "labels": labels}

    def call(self, data: Any, training: bool = False) -> Any:
        if not isinstance(data, dict):
            return data
        if "bounding_boxes" not in data:
            return dict(data)
        return {**data, "bounding_boxes": self.transform_bounding_boxes(data["bounding_boxes"])}

    def compute_output_shape(self, input_shape: Any) -> Any:
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            boxes = list(input_shape["bounding_boxes"]["boxes"])
            labels = list(input_shape["bounding_boxes"]["labels"])
            boxes[1] = labels[1] = self.max_number
            return {**input_shape, "bounding_boxes": {"boxes": tuple(boxes), "labels": tuple(labels)}}
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "bounding_box_format": self.bounding_box_format,
            "max_number": self.max_number,
            "fill_value": self.fill_value,
        }
