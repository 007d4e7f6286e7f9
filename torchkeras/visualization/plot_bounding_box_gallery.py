"""`plot_bounding_box_gallery`: a grid of images with true and predicted boxes (matplotlib)."""

from __future__ import annotations

from typing import Any

import numpy as np

from torchkeras import config
from torchkeras.visualization.draw_bounding_boxes import draw_bounding_boxes
from torchkeras.visualization.draw_segmentation_masks import _numpy
from torchkeras.visualization.plot_image_gallery import plot_image_gallery

__all__ = ["plot_bounding_box_gallery"]


def plot_bounding_box_gallery(
    images: Any,
    bounding_box_format: str,
    y_true: dict | None = None,
    y_pred: dict | None = None,
    value_range: tuple[float, float] = (0, 255),
    true_color: tuple[int, int, int] = (0, 188, 212),
    pred_color: tuple[int, int, int] = (255, 235, 59),
    line_thickness: int = 2,
    font_scale: float = 1.0,
    text_thickness: int | None = None,
    class_mapping: dict[int, str] | None = None,
    ground_truth_mapping: dict[int, str] | None = None,
    prediction_mapping: dict[int, str] | None = None,
    legend: bool = False,
    legend_handles: list | None = None,
    rows: int | None = None,
    cols: int | None = None,
    data_format: str | None = None,
    **kwargs: Any,
) -> None:
    """Draws true and predicted boxes on a batch of images and shows them in a grid.

    Args:
        images: a batch of images `(batch, height, width, channels)` (or channels first).
        bounding_box_format: the boxes' format, e.g. `"xyxy"`.
        y_true: ground-truth boxes, a dict as for `draw_bounding_boxes`.
        y_pred: predicted boxes, the same structure.
        value_range: the images' value range, rescaled to `[0, 255]` before boxes are drawn.
        true_color: the RGB color of ground-truth boxes.
        pred_color: the RGB color of predicted boxes.
        line_thickness: the width of box edges in pixels.
        font_scale: the size of labels.
        text_thickness: the stroke of labels (`line_thickness` by default).
        class_mapping: `{class index: name}` for both sets of boxes.
        ground_truth_mapping: overrides `class_mapping` for `y_true`.
        prediction_mapping: overrides `class_mapping` for `y_pred`.
        legend: add a "Ground Truth" / "Prediction" legend.
        legend_handles: matplotlib handles for a custom legend (not with `legend`).
        rows: the number of grid rows.
        cols: the number of grid columns.
        data_format: `"channels_last"` or `"channels_first"`; the global setting by default.
        **kwargs: passed to `plot_image_gallery` (`path`, `show`, `scale`, `dpi`, ...).

    Returns:
        What `plot_image_gallery` returns (None).

    Raises:
        ValueError: if `images` is not 4D, or both `legend` and `legend_handles` are given.
        ImportError: if matplotlib is not installed.
    """
    try:
        from matplotlib import patches
    except ImportError as error:
        raise ImportError(
            "The `plot_bounding_box_gallery` function requires the `matplotlib` package (the `plot` extra)."
        ) from error
    prediction_mapping = prediction_mapping or class_mapping
    ground_truth_mapping = ground_truth_mapping or class_mapping
    data_format = data_format or config.image_data_format()
    images = _numpy(images)
    if images.ndim != 4:
        raise ValueError(f"`images` must be batched 4D tensor. Received: images.shape={images.shape}")
    if legend and legend_handles:
        raise ValueError("Only pass `legend` OR `legend_handles` to `plot_bounding_box_gallery()`.")
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    # Boxes are drawn on `[0, 255]` images (Keras draws on the raw values, which saturates
    # images of any other range).
    low, high = value_range
    images = np.clip((images.astype("float32") - low) / (high - low) * 255.0, 0, 255).astype("uint8")
    common = {
        "bounding_box_format": bounding_box_format,
        "line_thickness": line_thickness,
        "text_thickness": text_thickness,
        "font_scale": font_scale,
        "data_format": "channels_last",
    }
    if y_true is not None:
        images = draw_bounding_boxes(
            images, y_true, color=true_color, class_mapping=ground_truth_mapping, **common
        )
    if y_pred is not None:
        images = draw_bounding_boxes(
            images, y_pred, color=pred_color, class_mapping=prediction_mapping, **common
        )
    if legend:
        legend_handles = [
            patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
            patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction"),
        ]
    return plot_image_gallery(
        images,
        value_range=(0, 255),
        legend_handles=legend_handles,
        rows=rows,
        cols=cols,
        data_format="channels_last",
        **kwargs,
    )
