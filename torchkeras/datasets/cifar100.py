"""CIFAR-100 small images (`keras.datasets.cifar100`)."""

from __future__ import annotations

import os

import numpy as np

from torchkeras.datasets.cifar import load_batch, to_image_format
from torchkeras.datasets.remote_file import fetch

__all__ = ["load_data"]

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(
    label_mode: str = "fine",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-100: 50,000 training and 10,000 test 32x32 color images of 100 classes.

    Args:
        label_mode: `"fine"` (100 classes) or `"coarse"` (20 superclasses).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `uint8` images of shape `(n, 32, 32, 3)`
        (channels_first when so configured) and integer labels of shape `(n, 1)`.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.'
        )
    root = fetch("cifar-100-python-target", origin=_ORIGIN, file_hash=_HASH, extract=True)
    folder = os.path.join(root, "cifar-100-python")
    key = f"{label_mode}_labels"
    x_train, y_train = load_batch(os.path.join(folder, "train"), label_key=key)
    x_test, y_test = load_batch(os.path.join(folder, "test"), label_key=key)
    return (
        (to_image_format(x_train), np.reshape(y_train, (len(y_train), 1))),
        (to_image_format(x_test), np.reshape(y_test, (len(y_test), 1))),
    )
