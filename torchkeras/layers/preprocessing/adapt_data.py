"""What `adapt()` accepts: a whole array or tensor, or batches from lists, generators,
`DataLoader`s and `PyDataset`s."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from torchkeras.utils.py_dataset import PyDataset

__all__ = ["adapt_batches", "batch_inputs"]


def batch_inputs(batch: Any) -> Any:
    """The inputs of one batch: `x` of an `(x, y[, sample_weight])` tuple, or of the list of
    tensors a `DataLoader` collates; the batch itself otherwise."""
    if isinstance(batch, tuple) and batch:
        return batch[0]
    if isinstance(batch, list) and batch and all(isinstance(b, (torch.Tensor, np.ndarray)) for b in batch):
        return batch[0]
    if isinstance(batch, dict):
        raise TypeError("`adapt()` batches must be arrays or tensors (or `(x, y)` tuples), not dicts.")
    return batch


def _is_whole(data: Any) -> bool:
    return isinstance(data, (np.ndarray, torch.Tensor)) or hasattr(data, "to_numpy")


def adapt_batches(
    data: Any, batch_size: int | None = None, steps: int | None = None
) -> tuple[Any, Iterator[Any] | None]:
    """Splits `adapt()`'s `data` into `(whole, None)` (an array or tensor taken at once) or
    `(None, batches)` (an iterator over the inputs of each batch, at most `steps` of them).

    Args:
        data: an array, tensor or DataFrame; or an iterable of batches.
        batch_size: if given, an array or tensor is streamed in slices of this size.
        steps: the number of batches to read; `None` reads them all.
    """
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise ValueError(f"`steps` must be a positive integer. Received: steps={steps!r}")
    if _is_whole(data):
        if hasattr(data, "to_numpy"):
            data = data.to_numpy()
        if batch_size is None:
            return data, None
        slices = (data[start : start + batch_size] for start in range(0, len(data), batch_size))
        return None, itertools.islice(slices, steps)
    if isinstance(data, PyDataset):
        batches: Any = (data[index] for index in range(len(data)))
    elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
        batches = iter(data)
    else:
        raise TypeError(
            "`adapt()` expects a NumPy array, a tensor, or an iterable of batches (a list of "
            f"arrays, a generator, a DataLoader, a PyDataset). Received: {type(data).__name__}"
        )
    return None, itertools.islice((batch_inputs(b) for b in batches), steps)
