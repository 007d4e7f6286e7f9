"""From what users pass to `fit` / `evaluate` / `predict` to batches on the model's device.

Arrays (NumPy, torch, pandas via `to_numpy()`, nested lists/dicts of them) become tensors once,
are moved to the device once (whole: there is no size check), and are sliced by index there.
SciPy sparse matrices stay on the host and are densified per batch. Datasets, DataLoaders,
`PyDataset`s, generators and other iterables yield batches moved to the device one at a time.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from torchkeras.utils.nest import flatten, map_structure, to_device, to_tensor

__all__ = [
    "ArrayData",
    "IterableData",
    "WithClassWeights",
    "batch_size_of",
    "class_weights_to_sample_weights",
    "data_device",
    "looks_like_arrays",
    "single_batch",
    "make_data",
    "pack_x_y_sample_weight",
    "split_validation",
    "unpack_x_y_sample_weight",
    "warn_out_of_data",
]


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """`(x,)`, `(x, y)` or `(x, y, sample_weight)` -> `(x, y, sample_weight)`; anything else is `x`."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(
        "Data batches must be `(x,)`, `(x, y)` or `(x, y, sample_weight)`. "
        f"Received: a tuple of {len(data)} elements."
    )


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> tuple:
    """`(x,)`, `(x, y)` or `(x, y, sample_weight)`: the batch a `train_step` receives, as Keras."""
    if y is None and sample_weight is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _is_sparse(value: Any) -> bool:
    return hasattr(value, "tocsr") and hasattr(value, "toarray")


def _is_array_like(value: Any) -> bool:
    if value is None or isinstance(value, (np.ndarray, torch.Tensor)) or _is_sparse(value):
        return True
    if hasattr(value, "to_numpy"):
        return True
    if isinstance(value, (list, tuple)) and value:
        return all(_is_array_like(v) for v in value)
    if isinstance(value, dict):
        return all(_is_array_like(v) for v in value.values())
    return False


def _to_tensors(structure: Any, argument: str) -> Any:
    def convert(leaf: Any) -> Any:
        if leaf is None or _is_sparse(leaf):
            return leaf
        try:
            return to_tensor(leaf)
        except (ValueError, TypeError) as error:
            raise ValueError(f"`{argument}`: {error}") from error

    return map_structure(convert, structure)


def _length(structure: Any) -> int | None:
    lengths = {leaf.shape[0] for leaf in flatten(structure) if leaf is not None}
    if not lengths:
        return None
    if len(lengths) > 1:
        raise ValueError(
            f"All arrays in a structure must have the same length. Received lengths {sorted(lengths)}."
        )
    return lengths.pop()


class ArrayData:
    """In-memory arrays, sliced into batches of `batch_size` (the last partial batch kept).

    Args:
        x, y, sample_weight: arrays or nested structures of arrays of equal length.
        batch_size: samples per batch (32 by default, as Keras).
        shuffle: a fresh permutation each epoch when True.
        device: where batches are produced; the arrays are moved there once, whole.
    """

    def __init__(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        batch_size: int | None = None,
        shuffle: bool | str = False,
        device: torch.device | None = None,
        allow_empty: bool = False,
    ):
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
        self.batch_size = batch_size or 32
        self.shuffle = shuffle
        self.device = device or torch.device("cpu")
        data = {
            "x": _to_tensors(x, "x"),
            "y": _to_tensors(y, "y"),
            "sample_weight": _to_tensors(sample_weight, "sample_weight"),
        }
        lengths = {name: _length(value) for name, value in data.items()}
        self.num_samples = lengths["x"]
        if not self.num_samples and not allow_empty:
            raise ValueError(f"`x` must hold at least one sample. Received: {self.num_samples or 0} samples.")
        for name in ("y", "sample_weight"):
            if lengths[name] is not None and lengths[name] != self.num_samples:
                raise ValueError(
                    f"`x` and `{name}` must have the same number of samples. Received: "
                    f"x has {self.num_samples} samples, {name} has {lengths[name]}."
                )
        self._sparse = any(_is_sparse(leaf) for leaf in flatten(data))
        if not self._sparse:
            data = to_device(data, self.device)
        self.data = (data["x"], data["y"], data["sample_weight"])
        present = [value for value in self.data if value is not None]
        plain = all(isinstance(value, torch.Tensor) for value in present) and (
            self.data[1] is not None or self.data[2] is None
        )
        self._flat_tensors = tuple(present) if plain else ()
        self.num_batches = max(1, math.ceil(self.num_samples / self.batch_size))

    def _take(self, indices: torch.Tensor | slice) -> tuple:
        if self._flat_tensors:  # the common case, once per step: plain tensors, no nesting
            if isinstance(indices, slice):
                return tuple(leaf[indices] for leaf in self._flat_tensors)
            return tuple(leaf.index_select(0, indices) for leaf in self._flat_tensors)

        def take(leaf: Any) -> Any:
            if leaf is None:
                return None
            if _is_sparse(leaf):
                rows = indices if isinstance(indices, slice) else indices.cpu().numpy()
                return to_tensor(leaf.tocsr()[rows].toarray(), device=self.device)
            if isinstance(indices, slice):
                return leaf[indices]
            return leaf.index_select(0, indices)

        return pack_x_y_sample_weight(*map_structure(take, self.data))

    def __iter__(self) -> Iterator[tuple]:
        size = self.batch_size
        if not self.shuffle or self.num_samples == 0:
            for start in range(0, max(self.num_samples, 1), size):
                yield self._take(slice(start, start + size))
            return
        device = torch.device("cpu") if self._sparse else self.device
        if self.shuffle == "batch":
            order = torch.randperm(self.num_batches).tolist()
            for batch in order:
                start = batch * size
                yield self._take(torch.arange(start, min(start + size, self.num_samples), device=device))
            return
        permutation = torch.randperm(self.num_samples).to(device)
        for start in range(0, self.num_samples, size):
            yield self._take(permutation[start : start + size])

    def on_epoch_end(self) -> None:
        pass


class IterableData:
    """Batches from a `Dataset`, `DataLoader`, `PyDataset`, generator or other iterable.

    Re-iterable sources restart each epoch; a one-shot iterator (a generator) continues where
    the previous epoch stopped, so infinite generators need `steps_per_epoch`.
    """

    def __init__(
        self,
        source: Any,
        batch_size: int | None = None,
        shuffle: bool = False,
        steps: int | None = None,
        device: torch.device | None = None,
    ):
        from torch.utils.data import DataLoader, Dataset, IterableDataset

        self.device = device or torch.device("cpu")
        self._py_dataset = (
            hasattr(source, "__getitem__")
            and hasattr(source, "on_epoch_end")
            and hasattr(source, "__len__")
            and not isinstance(source, Dataset)
        )
        if isinstance(source, Dataset) and not isinstance(source, IterableDataset):
            source = DataLoader(source, batch_size=batch_size or 32, shuffle=bool(shuffle))
        elif isinstance(source, IterableDataset):
            source = DataLoader(source, batch_size=batch_size or 32)
        self.source = source
        self._iterator: Iterator | None = None
        self._one_shot = isinstance(source, Iterator) and not self._py_dataset
        self.steps = steps
        if self._py_dataset:
            self.num_batches = steps or len(source)
        elif steps is not None:
            self.num_batches = steps
        else:
            self.num_batches = len(source) if hasattr(source, "__len__") else None
        self.exhausted = False
        self._non_blocking = self.device.type == "cuda"

    def _raw_batches(self) -> Iterator[Any]:
        if self._py_dataset:
            return (self.source[i] for i in range(len(self.source)))
        if self._one_shot:
            if self._iterator is None:
                self._iterator = iter(self.source)
            return self._iterator
        if self.steps is not None:
            # Re-iterable source with a step budget: keep one iterator across epochs, as Keras.
            if self._iterator is None:
                self._iterator = iter(self.source)
            return self._iterator
        return iter(self.source)

    def __iter__(self) -> Iterator[tuple]:
        batches = self._raw_batches()
        count = 0
        while self.steps is None or count < self.steps:
            try:
                batch = next(batches)
            except StopIteration:
                if self.steps is not None and not self._one_shot and not self._py_dataset:
                    self._iterator = iter(self.source)
                    batches = self._iterator
                    try:
                        batch = next(batches)
                    except StopIteration:
                        self.exhausted = True
                        return
                else:
                    if self._one_shot and count == 0:
                        self.exhausted = True
                    return
            count += 1
            x, y, sample_weight = unpack_x_y_sample_weight(batch)
            batch = (_to_tensors(x, "x"), _to_tensors(y, "y"), _to_tensors(sample_weight, "sample_weight"))
            yield pack_x_y_sample_weight(*to_device(batch, self.device, non_blocking=self._non_blocking))

    def on_epoch_end(self) -> None:
        if self._py_dataset:
            self.source.on_epoch_end()


def make_data(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    batch_size: int | None = None,
    steps: int | None = None,
    shuffle: bool | str = False,
    device: torch.device | None = None,
    allow_empty: bool = False,
) -> ArrayData | IterableData:
    """Picks the right data source for `x` (arrays or an iterable of batches)."""
    if _is_array_like(x):
        data = ArrayData(x, y, sample_weight, batch_size, shuffle, device, allow_empty)
        if steps is not None:
            data.num_batches = min(data.num_batches, steps)
        return data
    if y is not None or sample_weight is not None:
        raise ValueError(
            "`y` and `sample_weight` must not be given when `x` is a dataset, generator or "
            f"iterable (it yields them). Received: x of type {type(x).__name__} and a `y`."
        )
    if isinstance(x, (str, bytes)):
        raise ValueError(f"`x` must be arrays or an iterable of batches. Received: {type(x).__name__}")
    if not hasattr(x, "__iter__") and not hasattr(x, "__getitem__"):
        raise ValueError(f"Unrecognized data type for `x`: {type(x).__name__}.")
    return IterableData(x, batch_size, bool(shuffle), steps, device)


def split_validation(x: Any, y: Any, sample_weight: Any, validation_split: float) -> tuple[tuple, tuple]:
    """Splits arrays, keeping the LAST `validation_split` fraction for validation (as Keras)."""
    if not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be in (0, 1). Received: validation_split={validation_split}"
        )
    if not _is_array_like(x):
        raise ValueError(
            "`validation_split` is only supported for arrays and tensors, not for datasets or "
            f"generators. Received: x of type {type(x).__name__}. Pass `validation_data` instead."
        )
    x, y, sample_weight = (
        _to_tensors(v, n) for v, n in ((x, "x"), (y, "y"), (sample_weight, "sample_weight"))
    )
    num_samples = _length(x)
    split_at = int(math.floor(num_samples * (1.0 - validation_split)))
    if split_at == 0 or split_at == num_samples:
        raise ValueError(
            f"`validation_split`={validation_split} leaves no samples for training or validation "
            f"with {num_samples} samples."
        )

    def head(leaf: Any) -> Any:
        return None if leaf is None else leaf[:split_at]

    def tail(leaf: Any) -> Any:
        return None if leaf is None else leaf[split_at:]

    train = tuple(map_structure(head, v) for v in (x, y, sample_weight))
    validation = tuple(map_structure(tail, v) for v in (x, y, sample_weight))
    return train, validation


def warn_out_of_data(epoch: int) -> None:
    """Warns that a one-shot source (a generator) produced no batch for epoch `epoch`."""
    warnings.warn(
        f"Your input ran out of data at epoch {epoch + 1}; interrupting training. Make sure the "
        "dataset or generator can produce `steps_per_epoch * epochs` batches.",
        stacklevel=3,
    )


def batch_size_of(x: Any) -> int:
    for leaf in flatten(x):
        if isinstance(leaf, torch.Tensor):
            return leaf.shape[0] if leaf.ndim else 1
    return 1


def data_device(x: Any) -> torch.device | None:
    if isinstance(x, torch.Tensor):
        return x.device
    for leaf in flatten(x):
        if isinstance(leaf, torch.Tensor):
            return leaf.device
    return None


def class_weights_to_sample_weights(y: Any, class_weight: dict) -> torch.Tensor:
    """Keras's rule: one-hot labels -> argmax, a trailing unit axis dropped, labels rounded;
    classes missing from `class_weight` (negative or past its largest key too) weigh 1.0."""
    if not isinstance(y, torch.Tensor):
        raise ValueError("`class_weight` needs a single array of labels `y`.")
    labels = y.argmax(-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(y.shape[0], -1)[:, 0]
    if labels.is_floating_point():
        labels = labels.round()
    labels = labels.long()
    size = int(max(class_weight)) + 1 if class_weight else 1
    table = torch.ones(size, dtype=torch.float32, device=y.device)
    for label, weight in class_weight.items():
        if int(label) >= 0:
            table[int(label)] = float(weight)
    listed = (labels >= 0) & (labels < size)
    return torch.where(listed, table[labels.clamp(0, size - 1)], 1.0)


def looks_like_arrays(value: Any) -> bool:
    return all(v is None or _is_array_like(v) for v in value)


def single_batch(x: Any, y: Any, sample_weight: Any, device: torch.device) -> tuple:
    data = make_data(x, y, sample_weight, batch_size=None, shuffle=False, device=device)
    data.batch_size = data.num_samples
    data.num_batches = 1
    return next(iter(data))


class WithClassWeights:
    """Wraps a data source so each batch carries `class_weight`-derived sample weights."""

    def __init__(self, data: Any, class_weight: dict):
        self.data = data
        self.class_weight = class_weight
        self.num_batches = data.num_batches

    def __iter__(self) -> Iterator[tuple]:
        for batch in self.data:
            x, y, _ = unpack_x_y_sample_weight(batch)
            yield x, y, class_weights_to_sample_weights(y, self.class_weight)

    def on_epoch_end(self) -> None:
        self.data.on_epoch_end()
