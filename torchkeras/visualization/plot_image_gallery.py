"""`plot_image_gallery`: a grid of images (with optional labels) drawn with matplotlib."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from torchkeras import config
from torchkeras.visualization.draw_segmentation_masks import _numpy

__all__ = ["plot_image_gallery"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "The `plot_image_gallery` function requires the `matplotlib` package (the `plot` extra)."
        ) from error
    return plt


def plot_image_gallery(
    images: Any,
    y_true: Any = None,
    y_pred: Any = None,
    label_map: dict | None = None,
    rows: int | None = None,
    cols: int | None = None,
    value_range: tuple[float, float] = (0, 255),
    scale: float = 2,
    path: str | None = None,
    show: bool | None = None,
    transparent: bool = True,
    dpi: int = 60,
    legend_handles: list | None = None,
    data_format: str | None = None,
) -> None:
    """Draws a batch of images in a grid, titled with labels and predictions when given.

    Args:
        images: a batch of images `(batch, height, width, channels)` (or channels first).
        y_true, y_pred: optional class indices per image (need `label_map`).
        label_map: `{class index: name}`.
        rows, cols: the grid; by default about square.
        value_range: the images' value range, rescaled to `[0, 255]` for display.
        scale: the size of each image in inches.
        path: save the figure there instead of showing it.
        show: show the figure (by default when `path` is not given).
        transparent: save with a transparent background.
        dpi: the resolution of the saved figure.
        legend_handles: optional matplotlib handles for a legend.
        data_format: `"channels_last"` or `"channels_first"`; the global setting by default.
    """
    plt = _pyplot()
    if path is not None and show:
        raise ValueError("plot_gallery() expects either `path` to be set, or `show` to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError("If `y_true` or `y_pred` are provided, a `label_map` must also be provided.")
    show = show if show is not None else path is None
    data_format = data_format or config.image_data_format()
    images = _numpy(images).astype("float32")
    if images.ndim != 4:
        raise ValueError("`plot_images_gallery()` requires you to batch your `np.array` samples together.")
    batch_size = images.shape[0]
    rows = rows or int(math.ceil(math.sqrt(batch_size)))
    cols = cols or int(math.ceil(batch_size // rows))
    images = images[: min(rows * cols, batch_size)]
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    low, high = value_range
    images = np.clip((images - low) / (high - low) * 255.0, 0, 255)
    fig, axes = plt.subplots(
        nrows=rows, ncols=cols, figsize=(cols * scale, rows * scale), frameon=False, layout="tight",
        squeeze=False, sharex="row", sharey="col",
    )  # fmt: skip
    fig.subplots_adjust(wspace=0, hspace=0)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    y_true = None if y_true is None else _numpy(y_true)
    y_pred = None if y_pred is None else _numpy(y_pred)
    for index in range(rows * cols):
        axis = axes[index // cols, index % cols]
        axis.axis("off")
        if index >= len(images):
            continue
        axis.imshow(images[index].astype("uint8"))
        axis.margins(x=0, y=0)
        title = []
        if y_true is not None and index < len(y_true):
            title.append(f"Label: {label_map.get(y_true[index], 'Unknown')}")
        if y_pred is not None and index < len(y_pred):
            title.append(f"Pred: {label_map.get(y_pred[index], 'Unknown')}")
        if title:
            axis.set_title("  ".join(title), fontsize=8)
    if path is not None:
        plt.savefig(fname=path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close(fig)
    elif show:
        plt.show()
        plt.close(fig)
