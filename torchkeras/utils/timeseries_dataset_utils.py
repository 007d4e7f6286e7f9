"""`timeseries_dataset_from_array`: sliding windows over a series, as batches `fit` iterates."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from torchkeras.utils.nest import to_tensor
from torchkeras.utils.py_dataset import PyDataset

__all__ = ["timeseries_dataset_from_array"]


class TimeseriesDataset(PyDataset):
    """Batches of windows `data[start + i * sampling_rate]` (and the targets at each `start`).

    Built by `timeseries_dataset_from_array`; `len()` is the number of batches.
    """

    def __init__(
        self,
        data: Any,
        targets: Any,
        starts: np.ndarray,
        offsets: np.ndarray,
        batch_size: int | None,
    ):
        super().__init__()
        self.data = data
        self.targets = targets
        self.starts = starts
        self.offsets = offsets
        self.batch_size = batch_size

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.starts)
        return math.ceil(len(self.starts) / self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if not -len(self) <= index < len(self):
            raise IndexError(f"Batch index {index} out of range for {len(self)} batches")
        index %= len(self)
        if self.batch_size is None:
            starts = self.starts[index : index + 1]
        else:
            starts = self.starts[index * self.batch_size : (index + 1) * self.batch_size]
        windows = to_tensor(self.data[starts[:, None] + self.offsets[None, :]])
        if self.batch_size is None:
            windows = windows[0]
        if self.targets is None:
            return windows
        targets = to_tensor(self.targets[starts])
        return windows, (targets if self.batch_size is not None else targets[0])


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
    format: str = "tf",  # noqa: A002 (Keras's name)
) -> TimeseriesDataset:
    """Makes batches of sliding windows over `data`, as Keras does.

    Window `i` holds `data[start_index + p, start_index + p + sampling_rate, ...]` for
    `sequence_length` steps, where `p = i * sequence_stride`; its target is
    `targets[start_index + p]`.

    Args:
        data: array of timesteps (first axis: time).
        targets: array of targets aligned with `data`'s timesteps, or `None`.
        sequence_length: timesteps per window.
        sequence_stride: timesteps between the starts of two windows.
        sampling_rate: timesteps between two samples of a window.
        batch_size: windows per batch; `None` yields single windows.
        shuffle: whether to shuffle the windows (their starts) once.
        seed: the shuffling seed (NumPy's `RandomState`, as Keras).
        start_index, end_index: the part of `data` (`end_index` excluded) to draw windows from.
        format: Keras's `"tf"` (the default) or `"torch"`; both give a `PyDataset` here
            (torchkeras has no TensorFlow or Grain pipeline).

    Returns:
        A `PyDataset` of `(windows, targets)` batches (`windows` alone without targets).
    """
    if format not in ("tf", "torch"):
        raise ValueError(f"Argument `format` must be 'tf' or 'torch'. Received: format={format!r}")
    data = np.asarray(data) if not hasattr(data, "shape") else data
    length = len(data)
    for value, name in ((sequence_length, "sequence_length"), (sequence_stride, "sequence_stride")):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    if sampling_rate <= 0 or sampling_rate >= length:
        raise ValueError(
            f"`sampling_rate` must be higher than 0 and lower than the length of the data ({length}). "
            f"Received: sampling_rate={sampling_rate}"
        )
    if sequence_stride >= length:
        raise ValueError(
            f"`sequence_stride` must be lower than the length of the data ({length}). "
            f"Received: sequence_stride={sequence_stride}"
        )
    if start_index and not 0 <= start_index < length:
        raise ValueError(f"`start_index` must be in [0, {length}). Received: start_index={start_index}")
    if end_index and (end_index <= (start_index or 0) or end_index >= length):
        raise ValueError(
            f"`end_index` must be higher than `start_index` and lower than {length}. "
            f"Received: start_index={start_index}, end_index={end_index}"
        )
    if targets is not None:
        targets = np.asarray(targets) if not hasattr(targets, "shape") else targets
    start_index = start_index or 0
    end_index = end_index or length
    count = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets) - start_index)
    positions = np.arange(0, max(count, 0), sequence_stride, dtype=np.int64)
    if shuffle:
        rng = np.random.RandomState(np.random.randint(1e6) if seed is None else seed)
        rng.shuffle(positions)
    offsets = np.arange(sequence_length, dtype=np.int64) * sampling_rate
    return TimeseriesDataset(data, targets, positions + start_index, offsets, batch_size)
