"""Boston housing price regression (`keras.datasets.boston_housing`)."""

from __future__ import annotations

from torchkeras.datasets.housing import load_housing

__all__ = ["load_data"]


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113):
    """Loads the Boston housing prices: 13 attributes per district, target in k$.

    Keras's warning applies: the "B" attribute encodes an ethically problematic assumption;
    prefer `california_housing` outside discussions of that problem.

    Args:
        path: file name of the dataset in Keras's cache.
        test_split: fraction of the samples held out as the test set.
        seed: seed of the shuffle before splitting.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: features of shape `(n, 13)` and targets `(n,)`.
    """
    return load_housing("boston_housing.npz", path, test_split, seed)
