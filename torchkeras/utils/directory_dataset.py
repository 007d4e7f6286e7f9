"""The shared part of `image_/text_/audio_dataset_from_directory`: finding the files and labels
(Keras's order, shuffling and validation split) and the `PyDataset` that loads them by batch."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from torchkeras.utils.progbar import print_msg
from torchkeras.utils.py_dataset import PyDataset

__all__ = [
    "DirectoryDataset",
    "check_binary_classes",
    "check_split_arguments",
    "index_directory",
    "labels_batch",
    "split_for_subset",
]


def _valid_files(directory: str, follow_links: bool, formats: tuple[str, ...]) -> list[str]:
    found = []
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        found.extend(os.path.join(root, name) for name in sorted(files) if name.lower().endswith(formats))
    return found


def index_directory(
    directory: str,
    labels: Any,
    formats: tuple[str, ...],
    class_names: Sequence[str] | None,
    shuffle: bool,
    seed: int | None,
    follow_links: bool,
    verbose: bool,
) -> tuple[list[str], np.ndarray | None, list[str] | None]:
    """`(file_paths, labels, class_names)` as Keras lists them: classes are the sorted
    subdirectories (or `class_names`, in its order), files sorted within each; shuffled with
    NumPy's `RandomState(seed)` (paths and labels alike)."""
    if not os.path.isdir(directory):
        raise ValueError(
            f"Argument `directory` must be an existing folder. Received: directory={directory!r}"
        )
    if labels == "inferred":
        subdirs = sorted(
            name
            for name in os.listdir(directory)
            if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
        )
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories of the "
                    f"target directory. Expected: {subdirs} (or a subset of it), but received: "
                    f"class_names={class_names}"
                )
            subdirs = list(class_names)
        paths: list[str] = []
        indices: list[int] = []
        for index, subdir in enumerate(subdirs):
            found = _valid_files(os.path.join(directory, subdir), follow_links, formats)
            paths.extend(found)
            indices.extend([index] * len(found))
        label_array: np.ndarray | None = np.asarray(indices, dtype="int32")
        names: list[str] | None = list(subdirs)
    else:
        if class_names is not None:
            raise ValueError(
                "Argument `class_names` can only be given with `labels='inferred'`. "
                f"Received: labels={labels!r}"
            )
        paths = _valid_files(directory, follow_links, formats)
        if labels is None:
            label_array, names = None, None
        else:
            if len(labels) != len(paths):
                raise ValueError(
                    "Expected the lengths of `labels` to match the number of files in the target "
                    f"directory. len(labels) is {len(labels)} while we found {len(paths)} files in "
                    f"directory {directory}."
                )
            label_array = np.asarray(labels)
            names = [str(label) for label in sorted(set(np.asarray(labels).tolist()))]
    if verbose:
        if label_array is None:
            print_msg(f"Found {len(paths)} files.")
        else:
            print_msg(f"Found {len(paths)} files belonging to {len(names)} classes.")
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return paths, label_array, names


def check_binary_classes(label_mode: str | None, class_names: list[str]) -> None:
    """`label_mode="binary"` needs exactly two classes (as Keras's loaders check)."""
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
            f"class_names={class_names}"
        )


def check_split_arguments(
    validation_split: float | None, subset: str | None, shuffle: bool, seed: Any
) -> None:
    if validation_split is not None and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` argument, "
            "to make sure that there is no overlap between the training and validation subset."
        )


def split_for_subset(
    paths: list[str], labels: np.ndarray | None, validation_split: float | None, subset: str
) -> tuple[list[str], np.ndarray | None]:
    """The training part (all but the last `int(split * n)` files) or the validation part."""
    if not validation_split:
        return paths, labels
    count = int(validation_split * len(paths))
    if subset == "training":
        print_msg(f"Using {len(paths) - count} files for training.")
        keep = slice(None, len(paths) - count)
    else:
        print_msg(f"Using {count} files for validation.")
        keep = slice(len(paths) - count, None)
    return paths[keep], (None if labels is None else labels[keep])


def labels_batch(labels: np.ndarray, label_mode: str | None, num_classes: int) -> torch.Tensor | None:
    """Keras's label encodings: `"int"` int32, `"categorical"` one-hot float32, `"binary"`
    float32 of shape `(n, 1)`."""
    if label_mode == "int":
        return torch.as_tensor(labels.astype("int32"))
    if label_mode == "categorical":
        return torch.nn.functional.one_hot(torch.as_tensor(labels, dtype=torch.int64), num_classes).float()
    if label_mode == "binary":
        return torch.as_tensor(labels, dtype=torch.float32)[:, None]
    return None


class DirectoryDataset(PyDataset):
    """Batches of files read with `load` (one file -> one sample), with their labels.

    Made by the `*_dataset_from_directory` functions; `class_names` and `file_paths` are set as
    on Keras's datasets.
    """

    def __init__(
        self,
        file_paths: list[str],
        labels: np.ndarray | None,
        label_mode: str | None,
        class_names: list[str] | None,
        batch_size: int | None,
        load: Callable[[str], Any],
        collate: Callable[[list[Any]], Any],
    ):
        super().__init__()
        self.file_paths = list(file_paths)
        self.labels = labels
        self.label_mode = label_mode if labels is not None else None
        self.class_names = class_names
        self.batch_size = batch_size
        self._load = load
        self._collate = collate

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.file_paths)
        return math.ceil(len(self.file_paths) / self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if not -len(self) <= index < len(self):
            raise IndexError(f"Batch index {index} out of range for {len(self)} batches")
        index %= len(self)
        size = self.batch_size or 1
        part = slice(index * size, (index + 1) * size)
        samples = self._collate([self._load(path) for path in self.file_paths[part]])
        if self.label_mode is None:
            return samples if self.batch_size else samples[0]
        labels = labels_batch(self.labels[part], self.label_mode, len(self.class_names or ()))
        return (samples, labels) if self.batch_size else (samples[0], labels[0])
