"""`draw_bounding_boxes`: box outlines (and optional class labels) painted onto images.

Keras draws with OpenCV; here the outlines are painted with NumPy and labels are written with
Pillow (needed only when `class_mapping` names a drawn class). The semantics follow Keras: images
are brought to uint8 (`[0, 1]` floats scaled by 255, others clipped to `[0, 255]`), box
coordinates are truncated to integers, boxes labelled -1 are skipped, and a label sits above its
box's top-left corner, or inside the box when there is no room above.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from torchkeras import config
from torchkeras.utils import bounding_boxes as box_utils
from torchkeras.visualization.draw_segmentation_masks import _numpy

__all__ = ["draw_bounding_boxes"]

# Pixel height of a label at `font_scale=1`, about the cap height of OpenCV's simplex font.
_FONT_PIXELS = 22


def _paint_rectangle(
    image: np.ndarray, x1: int, y1: int, x2: int, y2: int, color: np.ndarray, thickness: int
) -> None:
    """Paints the outline of `[x1, x2] x [y1, y2]` in place, each edge `thickness` pixels wide,
    centered on the edge (an even width's extra pixel goes outward); a negative `thickness`
    fills the rectangle, as in OpenCV."""
    height, width = image.shape[:2]
    left, right = min(x1, x2), max(x1, x2)
    top, bottom = min(y1, y2), max(y1, y2)

    def fill(r0: int, r1: int, c0: int, c1: int) -> None:
        r0, c0 = max(r0, 0), max(c0, 0)
        r1, c1 = min(r1, height - 1), min(c1, width - 1)
        if r0 <= r1 and c0 <= c1:
            image[r0 : r1 + 1, c0 : c1 + 1] = color

    if thickness < 0:
        fill(top, bottom, left, right)
        return
    outer = thickness // 2
    inner = (thickness - 1) // 2
    fill(top - outer, top + inner, left - outer, right + outer)  # top edge
    fill(bottom - inner, bottom + outer, left - outer, right + outer)  # bottom edge
    fill(top - outer, bottom + outer, left - outer, left + inner)  # left edge
    fill(top - outer, bottom + outer, right - inner, right + outer)  # right edge


def _text_location(x: int, y: int, font_scale: float, thickness: int) -> tuple[int, int]:
    """Where a label's baseline starts: above the box if it fits, else just inside it (Keras's rule)."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def _write_text(
    image: np.ndarray, text: str, origin: tuple[int, int], color: tuple, font_scale: float, thickness: int
) -> np.ndarray:
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError as error:
        raise ImportError(
            "Drawing class labels with `draw_bounding_boxes` requires the `Pillow` package."
        ) from error
    channels = image.shape[-1]
    picture = Image.fromarray(image[..., 0] if channels == 1 else image)
    font = ImageFont.load_default(size=max(1, round(_FONT_PIXELS * font_scale)))
    fill = color[0] if channels == 1 else tuple(color)
    draw = ImageDraw.Draw(picture)
    draw.fontmode = "1"  # no anti-aliasing: label pixels take exactly `color`, as OpenCV's LINE_8
    draw.text(
        origin, text, fill=fill, font=font, anchor="ls", stroke_width=max(thickness - 1, 0), stroke_fill=fill
    )
    written = np.array(picture)
    return written[..., None] if channels == 1 else written


def draw_bounding_boxes(
    images: Any,
    bounding_boxes: dict,
    bounding_box_format: str,
    class_mapping: dict[int, str] | None = None,
    color: tuple[int, int, int] = (128, 128, 128),
    line_thickness: int = 2,
    text_thickness: int = 1,
    font_scale: float = 1.0,
    data_format: str | None = None,
) -> np.ndarray:
    """Draws bounding boxes, and optionally their class names, on a batch of images.

    Args:
        images: a batch of images `(batch, height, width, channels)` (or channels first).
        bounding_boxes: a dict with `"boxes"` `(batch, num_boxes, 4)`, `"labels"`
            `(batch, num_boxes)` (boxes labelled -1 are skipped) and optionally
            `"confidences"` `(batch, num_boxes)`, shown after the class name.
        bounding_box_format: the boxes' format, e.g. `"xyxy"` (see `utils.bounding_boxes`).
        class_mapping: `{class index: name}`; classes found here are labelled (needs Pillow).
        color: the RGB color of boxes and labels.
        line_thickness: the width of box edges in pixels (negative fills the box).
        text_thickness: the stroke of labels (falls back to `line_thickness` when 0 or None).
        font_scale: the size of labels relative to the default.
        data_format: `"channels_last"` or `"channels_first"`; the global setting by default.

    Returns:
        The annotated images as a uint8 NumPy array, in the layout of `images`.

    Raises:
        ValueError: if `images` is not 4D or `bounding_boxes` lacks `"boxes"` or `"labels"`.
        TypeError: if `bounding_boxes` is not a dict.
    """
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = data_format or config.image_data_format()
    images = _numpy(images)
    if images.ndim != 4:
        raise ValueError(f"`images` must be batched 4D tensor. Received: images.shape={images.shape}")
    if not isinstance(bounding_boxes, dict):
        raise TypeError(
            f"`bounding_boxes` should be a dict. Received: bounding_boxes of type {type(bounding_boxes)}"
        )
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(
            "`bounding_boxes` should be a dict containing 'boxes' and 'labels' keys. "
            f"Received: keys={sorted(bounding_boxes)}"
        )
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    height, width = images.shape[1], images.shape[2]
    boxes = _numpy(
        box_utils.convert_format(bounding_boxes["boxes"], bounding_box_format, "xyxy", height, width)
    )
    labels = _numpy(bounding_boxes["labels"])
    confidences = bounding_boxes.get("confidences")
    confidences = None if confidences is None else _numpy(confidences)
    if images.dtype.kind == "f" and images.size > 0:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    images = images.astype("uint8")
    channels = images.shape[-1]
    paint = np.array((list(color) + [0] * channels)[:channels], dtype="uint8")
    result = []
    for index in range(images.shape[0]):
        image = images[index].copy()
        for box_index in range(boxes.shape[1]):
            label = int(labels[index][box_index])
            if label == -1:
                continue
            x1, y1, x2, y2 = (int(v) for v in boxes[index][box_index].astype("int32"))
            _paint_rectangle(image, x1, y1, x2, y2, paint, line_thickness)
            if label in class_mapping:
                text = str(class_mapping[label])
                if confidences is not None:
                    text = f"{text} | {confidences[index][box_index]:.2f}"
                origin = _text_location(x1, y1, font_scale, text_thickness)
                image = _write_text(
                    image, text, origin, tuple(int(c) for c in paint), font_scale, text_thickness
                )
        result.append(image)
    drawn = np.stack(result, axis=0)
    return drawn.transpose(0, 3, 1, 2) if data_format == "channels_first" else drawn
