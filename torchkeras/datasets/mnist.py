"""MNIST handwritten digits (`keras.datasets.mnist`)."""

from __future__ import annotations

import numpy as np

from torchkeras.datasets.remote_file import ORIGIN, fetch
from torchkeras.datasets.safe_unpickle import load_npz

__all__ = ["load_data"]

_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path: str = "mnist.npz") -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads MNIST: 60,000 training and 10,000 test 28x28 grayscale digit images.

    Args:
        path: file name of the dataset in Keras's cache (`~/.keras/datasets`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `uint8` images of shape `(n, 28, 28)` with values
        in 0..255, and `uint8` labels in 0..9 of shape `(n,)`.
    """
    arrays = load_npz(fetch(path, origin=f"{ORIGIN}mnist.npz", file_hash=_HASH))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
