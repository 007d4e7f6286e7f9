"""The UCI optical-recognition handwritten digits: 1,797 grayscale 8x8 images of 0-9.

Shipped inside the package (45 kB), so tutorials and tests train on real data offline. Source:
E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine Learning
Repository (CC BY 4.0), as distributed by scikit-learn. Pixel values are counts in 0..16.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load_data"]


def load_data(
    test_split: float = 0.2, seed: int = 113
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the digits dataset, shuffled with `seed` and split like `keras.datasets.mnist`.

    Args:
        test_split: fraction of the samples held out as the test set.
        seed: seed of the shuffle before splitting.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `uint8` images of shape `(n, 8, 8)` with values in
        0..16, and `uint8` labels in 0..9.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"`test_split` must be in [0, 1). Received: test_split={test_split}")
    archive = resources.files("torchkeras.datasets").joinpath("digits.npz")
    with archive.open("rb") as handle, np.load(handle) as data:
        x, y = data["x"], data["y"]
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    split = int(len(x) * (1 - test_split))
    return (x[:split], y[:split]), (x[split:], y[split:])
