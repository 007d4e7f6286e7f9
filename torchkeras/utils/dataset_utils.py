"""`split_dataset`: two torch datasets from arrays or a dataset, as Keras's torch backend returns."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, Subset, TensorDataset

from torchkeras.utils.nest import flatten, to_tensor

__all__ = ["split_dataset"]


def split_dataset(
    dataset: Any,
    left_size: int | float | None = None,
    right_size: int | float | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    preferred_backend: str | None = None,
) -> tuple[Subset, Subset]:
    """Splits a dataset into a left and a right part (e.g. train and test).

    Args:
        dataset: a `torch.utils.data.Dataset`, an array, or a list / tuple of arrays of one length.
        left_size: a fraction in `(0, 1)` or a number of samples for the left part; by default the
            complement of `right_size`.
        right_size: the same for the right part; by default the complement of `left_size`.
        shuffle: whether to shuffle the samples before splitting (otherwise the left part is the
            first samples, in order).
        seed: the shuffling seed (the same permutation as Keras's torch backend for a seed).
        preferred_backend: accepted for Keras compatibility; only `None` or `"torch"`.

    Returns:
        `(left, right)`: two `torch.utils.data.Subset`s, which `fit` batches.

    Example:
    ```python
    train, test = keras.utils.split_dataset((x, y), left_size=0.8, shuffle=True, seed=1)
    model.fit(train, batch_size=32)
    ```
    """
    if preferred_backend not in (None, "torch"):
        raise ValueError(
            f"Argument `preferred_backend` must be None or 'torch'. Received: {preferred_backend!r}"
        )
    dataset = _as_torch_dataset(dataset)
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of `left_size` or `right_size` must be given. Received: left_size=None "
            "and right_size=None"
        )
    total = len(dataset)
    left, right = _split_sizes(left_size, right_size, total)
    if shuffle:
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(seed)
        order = torch.randperm(total, generator=generator).tolist()
    else:
        order = list(range(total))
    return Subset(dataset, order[:left]), Subset(dataset, order[left : left + right])


def _as_torch_dataset(dataset: Any) -> Dataset:
    if isinstance(dataset, Dataset):
        return dataset
    if isinstance(dataset, (np.ndarray, torch.Tensor)):
        return TensorDataset(to_tensor(dataset))
    if isinstance(dataset, (list, tuple)) and dataset:
        arrays = [to_tensor(a) for a in flatten(dataset)]
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ValueError(
                "The arrays of `dataset` must all have the same length. "
                f"Received lengths {[len(a) for a in arrays]}"
            )
        return TensorDataset(*arrays)
    raise TypeError(
        "The `dataset` argument must be a `torch.utils.data.Dataset`, an array, or a list/tuple of "
        f"arrays. Received: dataset of type {type(dataset).__name__}"
    )


def _split_sizes(left: Any, right: Any, total: int) -> tuple[int, int]:
    """Keras's rules: fractions in (0, 1) or counts in (0, total); the missing side is the rest."""
    for value, side in ((left, "left_size"), (right, "right_size")):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(
                f"Invalid `{side}` type. Expected: int or float or None. Received: type({side})={type(value)}"
            )
        if (isinstance(value, int) and not 0 < value < total) or (
            isinstance(value, float) and not 0 < value < 1
        ):
            raise ValueError(
                f"`{side}` should be either a positive integer smaller than {total}, or a float "
                f"within the range `[0, 1]`. Received: {side}={value}"
            )
    if isinstance(left, float) and isinstance(right, float) and left + right > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be at most 1.")
    left = round(left * total) if isinstance(left, float) else left
    right = round(right * total) if isinstance(right, float) else right
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(
            f"The sum of `left_size` and `right_size` must be at most the {total} samples. "
            f"Received: left_size + right_size = {left + right}"
        )
    if left == 0 or right == 0:
        side = "left" if left == 0 else "right"
        raise ValueError(
            f"With `dataset` of length={total}, `left_size`={left} and `right_size`={right}, the "
            f"{side} split would be empty. Adjust `left_size` or `right_size`."
        )
    return int(left), int(right)
