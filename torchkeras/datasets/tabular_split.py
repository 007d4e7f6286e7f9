"""The seeded shuffle-and-split that Keras's tabular and text datasets share."""

from __future__ import annotations

import numpy as np

__all__ = ["check_test_split", "shuffled", "split_point"]


def check_test_split(test_split: float) -> None:
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 (exclusive of 1)."
        )


def shuffled(rng: np.random.RandomState, *arrays: np.ndarray) -> list[np.ndarray]:
    """Applies one permutation, drawn as Keras draws it (`rng.shuffle` of an arange), to each array."""
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [array[indices] for array in arrays]


def split_point(length: int, test_split: float) -> int:
    return int(length * (1 - test_split))
