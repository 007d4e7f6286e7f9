"""California housing price regression (`keras.datasets.california_housing`)."""

from __future__ import annotations

from torchkeras.datasets.housing import load_housing

__all__ = ["load_data"]


def load_data(
    version: str = "large", path: str = "california_housing.npz", test_split: float = 0.2, seed: int = 113
):
    """Loads the 1990 California census housing prices: 8 features per block group, target in $.

    Args:
        version: `"large"` (20,640 samples) or `"small"` (the first 600).
        path: file name of the dataset in Keras's cache.
        test_split: fraction of the samples held out as the test set.
        seed: seed of the shuffle before splitting.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: features of shape `(n, 8)` and targets `(n,)`.
    """
    if version not in ("small", "large"):
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: version={version}")
    rows = 600 if version == "small" else None
    return load_housing("california_housing.npz", path, test_split, seed, rows=rows)
