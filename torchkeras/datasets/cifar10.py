"""CIFAR-10 small images (`keras.datasets.cifar10`)."""

from __future__ import annotations

import os

import numpy as np

from torchkeras.datasets.cifar import load_batch, to_image_format
from torchkeras.datasets.remote_file import fetch

__all__ = ["load_data"]

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-10: 50,000 training and 10,000 test 32x32 color images of 10 classes.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `uint8` images of shape `(n, 32, 32, 3)`
        (`(n, 3, 32, 32)` when `image_data_format()` is channels_first) and `uint8` labels of
        shape `(n, 1)`.
    """
    root = fetch("cifar-10-batches-py-target", origin=_ORIGIN, file_hash=_HASH, extract=True)
    folder = os.path.join(root, "cifar-10-batches-py")
    parts = [load_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([data for data, _ in parts]).astype("uint8")
    y_train = np.concatenate([np.asarray(labels) for _, labels in parts]).astype("uint8")
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    x_test = x_test.astype("uint8")
    y_test = np.asarray(y_test).astype("uint8")
    return (
        (to_image_format(x_train), y_train.reshape(-1, 1)),
        (to_image_format(x_test), y_test.reshape(-1, 1)),
    )
