"""`text_dataset_from_directory`: text files in class folders as batches of strings.

torch has no string tensors: a batch of texts is a NumPy array of Python strings, which the
text layers (`TextVectorization`, `StringLookup`, ...) and `fit` accept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from torchkeras.utils.directory_dataset import (
    DirectoryDataset,
    check_binary_classes,
    check_split_arguments,
    index_directory,
    split_for_subset,
)

__all__ = ["text_dataset_from_directory"]


def text_dataset_from_directory(
    directory: str,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    format: str = "tf",  # noqa: A002 (Keras's name)
    verbose: bool = True,
) -> DirectoryDataset | tuple[DirectoryDataset, DirectoryDataset]:
    """Reads `.txt` files from `directory` (one subfolder per class) as batches of strings.

    Args:
        directory: the folder; with `labels="inferred"`, one subfolder per class.
        labels: `"inferred"`, `None`, or a list of labels for the sorted text files.
        label_mode: `"int"`, `"categorical"`, `"binary"` or `None` (texts only).
        class_names: the classes (subfolder names) to use, in this order.
        batch_size: texts per batch; `None` yields single texts.
        max_length: keep at most this many characters of each text.
        shuffle, seed: shuffle the files once (NumPy's `RandomState(seed)`, as Keras).
        validation_split, subset: the fraction kept for validation and which part to return:
            `"training"`, `"validation"` or `"both"`.
        follow_links: follow symbolic links to subfolders.
        format: Keras's `"tf"` (default) or `"torch"`: both give a `PyDataset` here.
        verbose: print how many files were found and used.

    Returns:
        A `PyDataset` of `(texts, labels)` batches (texts: a NumPy array of `str`), with
        `class_names` and `file_paths`; a pair of them with `subset="both"`.
    """
    if format not in ("tf", "torch"):
        raise ValueError(f"Argument `format` must be 'tf' or 'torch'. Received: format={format!r}")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode!r}"
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if max_length is not None and (not isinstance(max_length, int) or max_length <= 0):
        raise ValueError(
            f"`max_length` must be a positive integer or None. Received: max_length={max_length!r}"
        )
    check_split_arguments(validation_split, subset, shuffle, seed)
    paths, label_array, names = index_directory(
        directory, labels, (".txt",), class_names, shuffle, seed, follow_links, verbose
    )
    check_binary_classes(label_mode, names)

    def load(path: str) -> str:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        return text if max_length is None else text[:max_length]

    def collate(texts: list[str]) -> np.ndarray:
        return np.array(texts, dtype=object)

    def make(part: str) -> DirectoryDataset:
        part_paths, part_labels = split_for_subset(paths, label_array, validation_split, part)
        return DirectoryDataset(part_paths, part_labels, label_mode, names, batch_size, load, collate)

    if subset == "both":
        return make("training"), make("validation")
    return make(subset or "training")
