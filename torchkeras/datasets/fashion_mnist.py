"""Fashion-MNIST clothing images (`keras.datasets.fashion_mnist`)."""

from __future__ import annotations

import gzip
import os

import numpy as np

from torchkeras.datasets.remote_file import ORIGIN, fetch

__all__ = ["load_data"]

_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
_MAX_BYTES = 64 << 20  # the largest file unpacks to 47 MB


def _read_idx(path: str, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        data = handle.read(_MAX_BYTES + 1)
    if len(data) > _MAX_BYTES:
        raise ValueError(f"Refusing {path}: it unpacks to more than {_MAX_BYTES} bytes.")
    return np.frombuffer(data, np.uint8, offset=offset).copy()


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads Fashion-MNIST: 60,000 training and 10,000 test 28x28 grayscale images of 10 classes.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `uint8` images of shape `(n, 28, 28)` and `uint8`
        labels in 0..9 of shape `(n,)`.
    """
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [fetch(name, origin=ORIGIN + name, cache_subdir=subdir) for name in _FILES]
    y_train = _read_idx(paths[0], 8)
    x_train = _read_idx(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read_idx(paths[2], 8)
    x_test = _read_idx(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
