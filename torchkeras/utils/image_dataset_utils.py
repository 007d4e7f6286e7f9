"""`image_dataset_from_directory`: image files in class folders as batches `fit` iterates."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config
from torchkeras.utils.directory_dataset import (
    DirectoryDataset,
    check_binary_classes,
    check_split_arguments,
    index_directory,
    split_for_subset,
)
from torchkeras.utils.image_utils import img_to_array, load_img, smart_resize

__all__ = ["image_dataset_from_directory"]

_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def image_dataset_from_directory(
    directory: str,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: tuple[int, int] = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    format: str = "tf",  # noqa: A002 (Keras's name)
    verbose: bool = True,
) -> DirectoryDataset | tuple[DirectoryDataset, DirectoryDataset]:
    """Reads images from `directory` (one subfolder per class) as batches of float32 images.

    Files are found, labelled, shuffled and split as Keras does (see Keras's docs); images are
    decoded with Pillow, converted to `color_mode` and resized to `image_size` (values stay in
    `[0, 255]`).

    Args:
        directory: the folder; with `labels="inferred"`, one subfolder per class.
        labels: `"inferred"`, `None`, or a list of labels for the sorted image files.
        label_mode: `"int"`, `"categorical"`, `"binary"` or `None` (images only).
        class_names: the classes (subfolder names) to use, in this order.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`.
        batch_size: images per batch; `None` yields single images.
        image_size: `(height, width)` to resize to.
        shuffle, seed: shuffle the files once (NumPy's `RandomState(seed)`).
        validation_split, subset: the fraction kept for validation and which part to return:
            `"training"`, `"validation"` or `"both"` (a `(training, validation)` pair).
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"` or `"area"`.
        follow_links: follow symbolic links to subfolders.
        crop_to_aspect_ratio: take the largest centred crop with the target's aspect ratio first.
        pad_to_aspect_ratio: pad to the target's aspect ratio (with zeros) instead.
        data_format: `"channels_last"` or `"channels_first"`; the global setting by default.
        format: Keras's `"tf"` (default) or `"torch"`: both give a `PyDataset` here.
        verbose: print how many files were found and used.

    Returns:
        A `PyDataset` of `(images, labels)` batches with `class_names` and `file_paths`, or a
        pair of them with `subset="both"`.
    """
    if format not in ("tf", "torch"):
        raise ValueError(f"Argument `format` must be 'tf' or 'torch'. Received: format={format!r}")
    if color_mode not in _CHANNELS:
        raise ValueError(f'`color_mode` must be one of "grayscale", "rgb", "rgba". Received: {color_mode!r}')
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode!r}"
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True.")
    data_format = data_format or config.image_data_format()
    check_split_arguments(validation_split, subset, shuffle, seed)
    paths, label_array, names = index_directory(
        directory, labels, _FORMATS, class_names, shuffle, seed, follow_links, verbose
    )
    check_binary_classes(label_mode, names)
    if not paths:
        raise ValueError(f"No images found in directory {directory}. Allowed formats: {_FORMATS}")
    size = tuple(int(d) for d in image_size)

    def load(path: str) -> torch.Tensor:
        image = torch.as_tensor(img_to_array(load_img(path, color_mode=color_mode), "channels_last"))
        if crop_to_aspect_ratio:
            return smart_resize(image, size, interpolation=interpolation)
        if pad_to_aspect_ratio:
            image = _pad_to_aspect_ratio(image, size)
        return _resize(image, size, interpolation)

    def collate(images: list[torch.Tensor]) -> torch.Tensor:
        batch = torch.stack(images)
        return batch.permute(0, 3, 1, 2).contiguous() if data_format == "channels_first" else batch

    def make(part: str) -> DirectoryDataset:
        part_paths, part_labels = split_for_subset(paths, label_array, validation_split, part)
        return DirectoryDataset(part_paths, part_labels, label_mode, names, batch_size, load, collate)

    if subset == "both":
        return make("training"), make("validation")
    return make(subset or "training")


def _resize(image: torch.Tensor, size: tuple[int, int], interpolation: str) -> torch.Tensor:
    if tuple(image.shape[:2]) == size:
        return image
    mode = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic", "area": "area"}.get(
        interpolation
    )
    if mode is None:
        raise ValueError(
            "Argument `interpolation` must be 'bilinear', 'nearest', 'bicubic' or 'area'. "
            f"Received: {interpolation!r}"
        )
    extra = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
    batch = image.permute(2, 0, 1)[None]
    return torch.nn.functional.interpolate(batch, size=size, mode=mode, **extra)[0].permute(1, 2, 0)


def _pad_to_aspect_ratio(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    height, width = image.shape[:2]
    target = size[1] / size[0]
    if width / height > target:
        new_height, new_width = int(round(width / target)), width
    else:
        new_height, new_width = height, int(round(height * target))
    padded = image.new_zeros((new_height, new_width, image.shape[2]))
    top, left = (new_height - height) // 2, (new_width - width) // 2
    padded[top : top + height, left : left + width] = image
    return padded
