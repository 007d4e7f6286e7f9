"""`keras.utils.bounding_boxes`: format conversion, IoU, clipping, cropping, padding, affine
transforms and anchor deltas for bounding boxes, in torch.

Boxes are tensors (or arrays) whose last axis holds 4 coordinates, unbatched `(N, 4)` or batched
`(batch, N, 4)`, or a dict with `"boxes"` (and usually `"labels"`). Formats (case-insensitive):

- `"xyxy"`: `[left, top, right, bottom]`; `"yxyx"`: `[top, left, bottom, right]`
- `"xywh"`: `[left, top, width, height]`
- `"center_xywh"`: `[center_x, center_y, width, height]`
- `"center_yxhw"`: `[center_y, center_x, height, width]`
- `"rel_xyxy"`, `"rel_yxyx"`, `"rel_xywh"`, `"rel_center_xywh"`: the same, divided by the image's
  `width` (x coordinates) and `height` (y coordinates).

Every function returns torch tensors.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.utils.validation import did_you_mean, invalid

__all__ = [
    "SUPPORTED_FORMATS",
    "affine_transform",
    "clip_to_image_size",
    "compute_ciou",
    "compute_iou",
    "convert_format",
    "crop",
    "decode_deltas_to_boxes",
    "encode_box_to_deltas",
    "pad",
]

SUPPORTED_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)


def _tensor(value: Any, dtype: torch.dtype | None = None) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value if dtype is None else value.to(dtype)
    array = np.asarray(value)
    tensor = torch.as_tensor(array)
    if dtype is not None:
        return tensor.to(dtype)
    return tensor.float() if tensor.dtype == torch.float64 else tensor


def _dtype(dtype: Any) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    resolved = getattr(torch, str(dtype), None)
    if not isinstance(resolved, torch.dtype):
        raise invalid("dtype", "must be a torch dtype or a dtype name such as 'float32'", dtype)
    return resolved


def _check_format(value: Any, argument: str) -> str:
    name = str(value).lower()
    if name not in SUPPORTED_FORMATS:
        raise invalid(
            argument, f"must be one of {SUPPORTED_FORMATS}", value, hint=did_you_mean(name, SUPPORTED_FORMATS)
        )
    return name


def _check_boxes(boxes: torch.Tensor, argument: str = "boxes") -> None:
    if boxes.ndim == 0 or boxes.shape[-1] != 4:
        raise invalid(argument, "must have a last dimension of 4", f"a tensor of shape {tuple(boxes.shape)}")


def _corners(boxes: torch.Tensor) -> tuple[torch.Tensor, ...]:
    return tuple(boxes[..., i] for i in range(4))


def _to_xyxy(boxes: torch.Tensor, source: str, height: Any, width: Any) -> torch.Tensor:
    a, b, c, d = _corners(boxes)
    if source.startswith("rel_"):
        source = source[len("rel_") :]
        scale = (width, height, width, height) if source != "yxyx" else (height, width, height, width)
        a, b, c, d = a * scale[0], b * scale[1], c * scale[2], d * scale[3]
    if source == "xyxy":
        return torch.stack([a, b, c, d], dim=-1)
    if source == "yxyx":
        return torch.stack([b, a, d, c], dim=-1)
    if source == "xywh":
        return torch.stack([a, b, a + c, b + d], dim=-1)
    if source == "center_xywh":
        return torch.stack([a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0], dim=-1)
    # center_yxhw: [cy, cx, h, w]
    return torch.stack([b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0], dim=-1)


def _from_xyxy(boxes: torch.Tensor, target: str, height: Any, width: Any) -> torch.Tensor:
    x1, y1, x2, y2 = _corners(boxes)
    relative = target.startswith("rel_")
    if relative:
        target = target[len("rel_") :]
        x1, y1, x2, y2 = x1 / width, y1 / height, x2 / width, y2 / height
    w, h = x2 - x1, y2 - y1
    if target == "xyxy":
        return torch.stack([x1, y1, x2, y2], dim=-1)
    if target == "yxyx":
        return torch.stack([y1, x1, y2, x2], dim=-1)
    if target == "xywh":
        return torch.stack([x1, y1, w, h], dim=-1)
    if target == "center_xywh":
        return torch.stack([x1 + w / 2.0, y1 + h / 2.0, w, h], dim=-1)
    return torch.stack([y1 + h / 2.0, x1 + w / 2.0, h, w], dim=-1)


def convert_format(
    boxes: Any,
    source: str,
    target: str,
    height: Any = None,
    width: Any = None,
    dtype: Any = "float32",
) -> Any:
    """Converts bounding boxes from one format to another.

    Args:
        boxes: boxes `(..., 4)`, or a dict whose `"boxes"` are converted (other keys kept).
        source: the format of `boxes` (see the module docstring).
        target: the format to convert to.
        height: the image height; needed when either format is relative.
        width: the image width; needed when either format is relative.
        dtype: the dtype of the result.

    Returns:
        The converted boxes (a new dict for a dict input).

    Raises:
        ValueError: for an unknown format, boxes whose last axis is not 4, or a relative
            format without `height` and `width`.
    """
    if isinstance(boxes, dict):
        converted = convert_format(boxes["boxes"], source, target, height=height, width=width, dtype=dtype)
        return {**boxes, "boxes": converted}
    dtype = _dtype(dtype)
    boxes = _tensor(boxes)
    _check_boxes(boxes)
    source = _check_format(source, "source")
    target = _check_format(target, "target")
    if (source.startswith("rel_") or target.startswith("rel_")) and (height is None or width is None):
        raise ValueError(
            "convert_format() must receive `height` and `width` when converting between relative "
            f"and absolute formats. Received: source={source!r}, target={target!r}, "
            f"height={height}, width={width}."
        )
    boxes = boxes.to(dtype)
    if source == target:
        return boxes
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[len("rel_") :], target[len("rel_") :]
    height = None if height is None else _tensor(height, dtype).to(boxes.device)
    width = None if width is None else _tensor(width, dtype).to(boxes.device)
    return _from_xyxy(_to_xyxy(boxes, source, height, width), target, height, width)


def _area(boxes_xyxy: torch.Tensor) -> torch.Tensor:
    return (boxes_xyxy[..., 2] - boxes_xyxy[..., 0]) * (boxes_xyxy[..., 3] - boxes_xyxy[..., 1])


def clip_to_image_size(
    bounding_boxes: dict,
    height: Any = None,
    width: Any = None,
    bounding_box_format: str = "xyxy",
) -> dict:
    """Clips boxes to the image, and marks boxes left with no area with label -1.

    Args:
        bounding_boxes: a dict with `"boxes"` `(N, 4)` or `(batch, N, 4)` and optionally
            `"labels"` `(N,)` or `(batch, N)`.
        height: the image height (needed for `"xyxy"`).
        width: the image width (needed for `"xyxy"`).
        bounding_box_format: `"xyxy"` (clipped to `[0, width] x [0, height]`) or `"rel_xyxy"`
            (clipped to `[0, 1]`).

    Returns:
        A new dict with the clipped `"boxes"` and, if given, the updated `"labels"`.
    """
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
        raise invalid("bounding_boxes", "must be a dict with a 'boxes' entry", type(bounding_boxes).__name__)
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(
            f"clip_to_image_size() supports bounding_box_format 'xyxy' and 'rel_xyxy' only. "
            f"Received: bounding_box_format={bounding_box_format!r}"
        )
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `bounding_box_format='xyxy'`.")
    boxes = _tensor(bounding_boxes["boxes"])
    _check_boxes(boxes)
    high_x, high_y = (width, height) if bounding_box_format == "xyxy" else (1.0, 1.0)
    high = torch.tensor([high_x, high_y, high_x, high_y], dtype=boxes.dtype, device=boxes.device)
    boxes = torch.minimum(torch.clamp(boxes, min=0), high)
    result = {**bounding_boxes, "boxes": boxes}
    if bounding_boxes.get("labels") is not None:
        labels = _tensor(bounding_boxes["labels"])
        result["labels"] = torch.where(_area(boxes) > 0, labels, torch.full_like(labels, -1))
    return result


def _check_xyxy(bounding_box_format: str, function: str) -> None:
    if bounding_box_format != "xyxy":
        raise NotImplementedError(
            f"{function}() supports bounding_box_format='xyxy' only. "
            f"Received: bounding_box_format={bounding_box_format!r}"
        )


def crop(
    boxes: Any, top: Any, left: Any, height: Any, width: Any, bounding_box_format: str = "xyxy"
) -> torch.Tensor:
    """Moves `"xyxy"` boxes into the frame of a crop and clips them to it.

    Args:
        boxes: boxes `(N, 4)` or `(batch, N, 4)`.
        top: the crop's top offset.
        left: the crop's left offset.
        height: the crop's height.
        width: the crop's width.
        bounding_box_format: must be `"xyxy"`.

    Returns:
        The boxes shifted by `(-left, -top)` and clipped to `[0, width] x [0, height]`.
    """
    _check_xyxy(bounding_box_format, "crop")
    boxes = _tensor(boxes)
    _check_boxes(boxes)
    x1, y1, x2, y2 = _corners(boxes)
    x1, x2 = torch.clamp(x1 - left, 0, width), torch.clamp(x2 - left, 0, width)
    y1, y2 = torch.clamp(y1 - top, 0, height), torch.clamp(y2 - top, 0, height)
    return torch.stack([x1, y1, x2, y2], dim=-1)


def pad(
    boxes: Any,
    top: Any,
    left: Any,
    height: Any = None,
    width: Any = None,
    bounding_box_format: str = "xyxy",
) -> torch.Tensor:
    """Shifts `"xyxy"` boxes by the padding added above (`top`) and left of (`left`) the image.

    Args:
        boxes: boxes `(N, 4)` or `(batch, N, 4)`.
        top: rows added above the image.
        left: columns added left of the image.
        height: unused (kept for Keras's signature).
        width: unused (kept for Keras's signature).
        bounding_box_format: must be `"xyxy"`.

    Returns:
        The shifted boxes.
    """
    _check_xyxy(bounding_box_format, "pad")
    boxes = _tensor(boxes)
    _check_boxes(boxes)
    x1, y1, x2, y2 = _corners(boxes)
    return torch.stack([x1 + left, y1 + top, x2 + left, y2 + top], dim=-1)


def _per_batch(value: Any, batch: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    return torch.broadcast_to(_tensor(value, dtype).to(device), (batch,))


def _inverse_affine_matrix(
    center_x, center_y, angle, translate_x, translate_y, scale, shear_x, shear_y, height, width
) -> torch.Tensor:
    """The `(batch, 2, 3)` matrix that maps output pixels to input pixels (TF's convention)."""
    to_radians = math.pi / 180.0
    cx = center_x * (width - 1)
    cy = center_y * (height - 1)
    tx = -translate_x * (width - 1)
    ty = -translate_y * (height - 1)
    rotation = -angle * to_radians
    sx = -shear_x * to_radians
    sy = -shear_y * to_radians
    cos_sy = torch.cos(sy)
    tan_sx = torch.tan(sx)
    a = torch.cos(rotation - sy) / cos_sy
    b = a * tan_sx + torch.sin(rotation)
    c = -torch.sin(rotation - sy) / cos_sy
    d = torch.cos(rotation) - c * tan_sx
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    return torch.stack([a0, a1, a2, b0, b1, b2], dim=-1).reshape(-1, 2, 3)


def affine_transform(
    boxes: Any,
    angle: Any,
    translate_x: Any,
    translate_y: Any,
    scale: Any,
    shear_x: Any,
    shear_y: Any,
    height: Any,
    width: Any,
    center_x: Any = None,
    center_y: Any = None,
    bounding_box_format: str = "xyxy",
) -> torch.Tensor:
    """Applies a rotation, translation, scaling and shear to batched `"xyxy"` boxes.

    Each box's 4 corners go through the (inverse) affine matrix that Keras's geometric
    augmentation layers build; the result is the corners' enclosing box.

    Args:
        boxes: boxes `(batch, N, 4)`.
        angle: rotation in degrees, a scalar or one per image `(batch,)`.
        translate_x: horizontal translation as a fraction of the width.
        translate_y: vertical translation as a fraction of the height.
        scale: the scaling factor.
        shear_x: shear angle along x, in degrees.
        shear_y: shear angle along y, in degrees.
        height: the image height.
        width: the image width.
        center_x: the transformation center as a fraction of the width (0.5 by default).
        center_y: the transformation center as a fraction of the height (0.5 by default).
        bounding_box_format: must be `"xyxy"`.

    Returns:
        The transformed boxes, `(batch, N, 4)`.
    """
    _check_xyxy(bounding_box_format, "affine_transform")
    boxes = _tensor(boxes)
    _check_boxes(boxes)
    if boxes.ndim != 3:
        raise invalid("boxes", "must be batched, of shape (batch, N, 4)", f"shape {tuple(boxes.shape)}")
    batch = boxes.shape[0]
    dtype = angle.dtype if isinstance(angle, torch.Tensor) and angle.is_floating_point() else torch.float32
    values = [
        _per_batch(v, batch, dtype, boxes.device)
        for v in (
            0.5 if center_x is None else center_x,
            0.5 if center_y is None else center_y,
            angle,
            translate_x,
            translate_y,
            scale,
            shear_x,
            shear_y,
        )
    ]
    matrix = _inverse_affine_matrix(*values, height, width)
    boxes = boxes.to(dtype)
    x1, y1, x2, y2 = _corners(boxes)
    corners = torch.stack(
        [
            torch.stack([x1, y1], -1),
            torch.stack([x2, y1], -1),
            torch.stack([x2, y2], -1),
            torch.stack([x1, y2], -1),
        ],
        dim=2,
    )  # (batch, N, 4 corners, 2)
    corners = torch.cat([corners, torch.ones_like(corners[..., :1])], dim=-1)
    moved = torch.einsum("bnkc,bjc->bnkj", corners, matrix)
    return torch.cat([moved.amin(dim=2), moved.amax(dim=2)], dim=-1)


def _image_size(image_shape: Any) -> tuple[Any, Any]:
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def compute_iou(
    boxes1: Any,
    boxes2: Any,
    bounding_box_format: str,
    use_masking: bool = False,
    mask_val: float = -1,
    image_shape: Any = None,
) -> torch.Tensor:
    """Pairwise intersection over union of two sets of boxes.

    Args:
        boxes1: boxes `(M, 4)` or `(batch, M, 4)`.
        boxes2: boxes `(N, 4)` or `(batch, N, 4)`.
        bounding_box_format: the format of both sets.
        use_masking: set to `mask_val` the IoUs of boxes whose 4 coordinates are all negative
            (padding boxes).
        mask_val: the value of masked IoUs.
        image_shape: `(height, width, channels)`, needed for relative formats.

    Returns:
        The IoUs, `(M, N)`, or `(batch, M, N)` when either set is batched.
    """
    boxes1, boxes2 = _tensor(boxes1), _tensor(boxes2)
    for name, boxes in (("boxes1", boxes1), ("boxes2", boxes2)):
        if boxes.ndim not in (2, 3):
            raise invalid(name, "must be of shape (N, 4) or (batch, N, 4)", f"shape {tuple(boxes.shape)}")
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` argument must "
            f"be provided. Received: image_shape={image_shape}"
        )
    height, width = _image_size(image_shape)
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height=height, width=width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height=height, width=width)
    first, second = boxes1.unsqueeze(-2), boxes2.unsqueeze(-3)  # (..., M, 1, 4), (..., 1, N, 4)
    inter_w = torch.clamp(
        torch.minimum(first[..., 2], second[..., 2]) - torch.maximum(first[..., 0], second[..., 0]), min=0
    )
    inter_h = torch.clamp(
        torch.minimum(first[..., 3], second[..., 3]) - torch.maximum(first[..., 1], second[..., 1]), min=0
    )
    intersection = inter_w * inter_h
    union = _area(first) + _area(second) - intersection
    iou = intersection / (union + config.epsilon())
    if not use_masking:
        return iou
    background = (boxes1.amax(dim=-1) < 0).unsqueeze(-1) | (boxes2.amax(dim=-1) < 0).unsqueeze(-2)
    return torch.where(background, torch.full_like(iou, mask_val), iou)


def compute_ciou(boxes1: Any, boxes2: Any, bounding_box_format: str, image_shape: Any = None) -> torch.Tensor:
    """Complete IoU of matching boxes: IoU minus center-distance and aspect-ratio penalties.

    Args:
        boxes1: boxes `(..., 4)`.
        boxes2: boxes `(..., 4)`, broadcastable against `boxes1`.
        bounding_box_format: the format of both sets (absolute formats only, as in Keras).
        image_shape: `(height, width, channels)`; unused for absolute formats.

    Returns:
        The CIoU of each pair, shape `(...)`.
    """
    if "rel" in bounding_box_format:
        raise ValueError(
            "compute_ciou() does not support relative bounding box formats. "
            f"Received: bounding_box_format={bounding_box_format!r}"
        )
    eps = config.epsilon()
    height, width = _image_size(image_shape)
    x1a, y1a, x2a, y2a = _corners(
        convert_format(boxes1, bounding_box_format, "xyxy", height=height, width=width)
    )
    x1b, y1b, x2b, y2b = _corners(
        convert_format(boxes2, bounding_box_format, "xyxy", height=height, width=width)
    )
    w1, h1 = x2a - x1a, y2a - y1a + eps
    w2, h2 = x2b - x1b, y2b - y1b + eps
    inter_w = torch.clamp(torch.minimum(x2a, x2b) - torch.maximum(x1a, x1b), min=0)
    inter_h = torch.clamp(torch.minimum(y2a, y2b) - torch.maximum(y1a, y1b), min=0)
    intersection = inter_w * inter_h
    union = w1 * h1 + w2 * h2 - intersection + eps
    iou = intersection / (union + eps)
    hull_w = torch.maximum(x2a, x2b) - torch.minimum(x1a, x1b)
    hull_h = torch.maximum(y2a, y2b) - torch.minimum(y1a, y1b)
    diagonal_sq = hull_w**2 + hull_h**2 + eps
    center_sq = ((x1a + x2a) / 2 - (x1b + x2b) / 2) ** 2 + ((y1a + y2a) / 2 - (y1b + y2b) / 2) ** 2
    v = (4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
    alpha = v / (v - iou + (1 + eps))
    return iou - (center_sq / diagonal_sq + v * alpha)


def _check_variance(variance: Any) -> torch.Tensor | None:
    if variance is None:
        return None
    variance = _tensor(variance, torch.float32)
    if variance.ndim == 0 or variance.shape[-1] != 4:
        raise invalid("variance", "must have length 4", variance.tolist())
    return variance


def _check_center_format(value: str, argument: str) -> None:
    if value not in ("center_xywh", "center_yxhw"):
        raise invalid(argument, "must be 'center_xywh' or 'center_yxhw'", value)


def encode_box_to_deltas(
    anchors: Any,
    boxes: Any,
    anchor_format: str,
    box_format: str,
    encoding_format: str = "center_yxhw",
    variance: Any = None,
    image_shape: Any = None,
) -> torch.Tensor:
    """Encodes boxes as offsets from anchors (the regression targets of anchor-based detectors).

    In `encoding_format`, the deltas are `(box_center - anchor_center) / anchor_size` and
    `log(box_size / anchor_size)`, divided by `variance` when given.

    Args:
        anchors: anchor boxes `(N, 4)`.
        boxes: boxes `(N, 4)` or `(batch, N, 4)`.
        anchor_format: the format of `anchors`.
        box_format: the format of `boxes`.
        encoding_format: `"center_yxhw"` or `"center_xywh"`.
        variance: optional 4 scale factors.
        image_shape: `(height, width, channels)`, needed for relative formats.

    Returns:
        The deltas, shaped like `boxes`.
    """
    variance = _check_variance(variance)
    _check_center_format(encoding_format, "encoding_format")
    height, width = _image_size(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height=height, width=width)
    boxes = convert_format(boxes, box_format, encoding_format, height=height, width=width)
    eps = config.epsilon()
    anchor_size = torch.clamp(anchors[..., 2:], min=eps)
    box_size = torch.clamp(boxes[..., 2:], min=eps)
    deltas = torch.cat(
        [(boxes[..., :2] - anchors[..., :2]) / anchor_size, torch.log(box_size / anchor_size)], dim=-1
    )
    return deltas if variance is None else deltas / variance.to(deltas.device)


def decode_deltas_to_boxes(
    anchors: Any,
    boxes_delta: Any,
    anchor_format: str,
    box_format: str,
    encoded_format: str = "center_yxhw",
    variance: Any = None,
    image_shape: Any = None,
) -> Any:
    """Turns anchor deltas back into boxes (the inverse of `encode_box_to_deltas`).

    Args:
        anchors: anchor boxes `(N, 4)`, or a dict of them per feature level.
        boxes_delta: deltas `(N, 4)` or `(batch, N, 4)`, with the same structure as `anchors`.
        anchor_format: the format of `anchors`.
        box_format: the format of the returned boxes.
        encoded_format: `"center_yxhw"` or `"center_xywh"`, the format the deltas were made in.
        variance: optional 4 scale factors the deltas are multiplied by.
        image_shape: `(height, width, channels)`, needed for relative formats.

    Returns:
        The boxes in `box_format` (a dict per level for dict inputs).
    """
    variance = _check_variance(variance)
    _check_center_format(encoded_format, "encoded_format")
    height, width = _image_size(image_shape)

    def decode(anchor: Any, delta: Any) -> torch.Tensor:
        anchor = convert_format(anchor, anchor_format, encoded_format, height=height, width=width)
        delta = _tensor(delta, anchor.dtype)
        if variance is not None:
            delta = delta * variance.to(delta.device)
        centers = delta[..., :2] * anchor[..., 2:] + anchor[..., :2]
        sizes = torch.exp(delta[..., 2:]) * anchor[..., 2:]
        box = torch.cat([centers, sizes], dim=-1)
        return convert_format(box, encoded_format, box_format, height=height, width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)
