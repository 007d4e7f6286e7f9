"""From what users pass to `fit` / `evaluate` / `predict` to batches on the model's device.

Arrays (NumPy, torch, pandas via `to_numpy()`, nested lists/dicts of them) become tensors once.
They move to the model's device once when they fit there (on CUDA: at most
`DEVICE_MEMORY_SHARE` of the free device memory) and are sliced by index there; larger arrays
stay in pinned host memory and each batch moves with `non_blocking=True`, so a large array never
exhausts device memory. SciPy sparse matrices stay on the host and are densified per batch.
Datasets, DataLoaders, `PyDataset`s, generators and other iterables yield batches that are moved
to the device one at a time. `DataSource` bounds every kind of source by `steps` in one place.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.utils.nest import flatten, map_structure, to_device, to_tensor
from torchkeras.utils.validation import check_positive_int, invalid

__all__ = [
    "DEVICE_MEMORY_SHARE",
    "ArrayData",
    "DataSource",
    "IterableData",
    "WithClassWeights",
    "batch_size_of",
    "check_loop_arguments",
    "class_weights_to_sample_weights",
    "data_device",
    "fits_on_device",
    "looks_like_arrays",
    "single_batch",
    "make_data",
    "pack_x_y_sample_weight",
    "split_validation",
    "unpack_x_y_sample_weight",
    "warn_out_of_data",
]

DEVICE_MEMORY_SHARE = 0.25
"""On CUDA, arrays move to the device once when they take at most this share of its free memory
(the rest is left to weights, activations and optimizer state); larger ones stream from pinned
host memory, one batch at a time."""


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
        "Each batch is read as (x, y, sample_weight): a tuple or list of 1, 2 or 3 elements is split "
        f"into x, y and sample_weight. Received: a batch of {len(data)} elements. To pass several "
        "inputs, make x itself a tuple or dict: `fit((x1, x2), y)` or batches `((x1, x2), y)` / "
        "`({'a': x1, 'b': x2}, y)`; a dict batch is x alone (labels inside it go to the model)."
    )


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> tuple:
    """`(x,)`, `(x, y)` or `(x, y, sample_weight)`: the batch a `train_step` receives, as Keras."""
    if y is None and sample_weight is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _is_sparse(value: Any) -> bool:
    return not isinstance(value, torch.Tensor) and hasattr(value, "tocsr") and hasattr(value, "toarray")


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


def _is_text(value: Any) -> bool:
    """A NumPy array of strings (or objects): fed as is to models whose input takes text."""
    return isinstance(value, np.ndarray) and value.dtype.kind in "OUS"


def _to_tensors(structure: Any, argument: str) -> Any:
    def convert(leaf: Any) -> Any:
        if leaf is None or _is_sparse(leaf):
            return leaf
        if _is_text(leaf):
            return np.asarray(leaf, dtype=object)  # text stays on the host for the string layers
        try:
            tensor = to_tensor(leaf)
        except (ValueError, TypeError) as error:
            raise ValueError(f"`{argument}`: {error}") from error
        if tensor.is_complex():
            raise ValueError(
                f"`{argument}` must hold real numbers. Received an array of dtype {tensor.dtype} "
                "(complex): pass its real and imaginary parts as separate features."
            )
        return tensor

    return map_structure(convert, structure)


def _length(structure: Any, argument: str = "x") -> int | None:
    leaves = [leaf for leaf in flatten(structure) if leaf is not None]
    if any(getattr(leaf, "ndim", 1) == 0 for leaf in leaves):
        raise ValueError(f"`{argument}` must be arrays with a sample dimension. Received a scalar.")
    lengths = {leaf.shape[0] for leaf in leaves}
    if not lengths:
        return None
    if len(lengths) > 1:
        raise ValueError(
            f"All arrays of `{argument}` must have the same number of samples. Received lengths "
            f"{sorted(lengths)}."
        )
    return lengths.pop()


def check_loop_arguments(
    epochs: Any = 1,
    initial_epoch: Any = 0,
    batch_size: Any = None,
    steps_per_epoch: Any = None,
    validation_steps: Any = None,
    validation_batch_size: Any = None,
    validation_freq: Any = 1,
) -> None:
    """Raises the house error for a loop argument of the wrong type or range (before any work)."""
    for name, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise invalid(name, "must be a non-negative integer", value)
    for name, value in (
        ("batch_size", batch_size),
        ("steps_per_epoch", steps_per_epoch),
        ("validation_steps", validation_steps),
        ("validation_batch_size", validation_batch_size),
    ):
        if value is not None:
            check_positive_int(value, name)
    check_positive_int(validation_freq, "validation_freq")


class DataSource:
    """Base of the batch sources: one pass over the data (`_pass`), bounded by `steps`.

    This is the one place where `steps_per_epoch` / `steps` / `validation_steps` apply, to every
    kind of source, with Keras's rules: with `steps`, an epoch runs at most `steps` batches; when
    `keep_position` (training in `fit`) the next epoch continues the same pass, and a new pass
    starts once one is used up. A pass that runs out before `steps` batches ends the epoch early
    with a warning. Without `steps`, each epoch is one whole pass.

    Attributes:
        pass_length: batches in one pass, or None when the source has no length.
        num_batches: batches per epoch as the progress bar shows them (None: unknown).
    """

    pass_length: int | None = None

    def __init__(self, steps: int | None = None, keep_position: bool = False):
        if steps is not None:
            check_positive_int(steps, "steps")
        self.steps = steps
        self.keep_position = keep_position
        self._iterator: Iterator[tuple] | None = None
        self._taken = 0

    @property
    def num_batches(self) -> int | None:
        return self.steps if self.steps is not None else self.pass_length

    def _pass(self) -> Iterator[tuple]:
        raise NotImplementedError(f"{type(self).__name__} must implement `_pass()` (one pass of batches).")

    def _used_up(self) -> bool:
        return self.pass_length is not None and self._taken >= self.pass_length

    def __iter__(self) -> Iterator[tuple]:
        if self.steps is None:
            yield from self._pass()
            return
        if self._iterator is None or not self.keep_position:
            self._start_pass()
        for count in range(self.steps):
            batch = None if self._used_up() else next(self._iterator, None)
            if batch is None:
                self._iterator = None
                if count:  # an epoch with no batch at all is reported by `fit`
                    _warn_ran_out(count, self.steps)
                return
            self._taken += 1
            yield batch
        if self._used_up():
            self._iterator = None

    def on_epoch_end(self) -> None:
        pass

    def _start_pass(self) -> None:
        # A pass that epochs continue is drawn from this state (kept so a resumed run redraws it).
        self.pass_rng = torch.get_rng_state() if self.keep_position else None
        self._iterator, self._taken = self._pass(), 0

    def position(self) -> tuple[torch.Tensor | None, int]:
        """`(generator state the current pass was drawn from, batches taken from it)` while epochs
        continue a pass (`steps` with `keep_position`); `(None, 0)` otherwise."""
        if self.steps is None or not self.keep_position or self._iterator is None:
            return None, 0
        return self.pass_rng, self._taken

    def seek(self, pass_rng: torch.Tensor, taken: int) -> None:
        """Resuming a run whose epochs continue a pass: redraws that pass from `pass_rng` (the
        global generator is left as it was) and draws its first `taken` batches without use."""
        if self.steps is None or not self.keep_position or taken <= 0:
            return
        current = torch.get_rng_state()
        torch.set_rng_state(pass_rng)
        try:
            self._start_pass()
            self.pass_rng = pass_rng
            for _ in range(taken):
                if next(self._iterator, None) is None:
                    self._iterator = None
                    return
                self._taken += 1
        finally:
            torch.set_rng_state(current)


def _warn_ran_out(count: int, steps: int) -> None:
    warnings.warn(
        f"Your input ran out of data after {count} of {steps} steps; this epoch ends early. Make sure "
        "the dataset or generator can produce `steps_per_epoch * epochs` batches.",
        stacklevel=3,
    )


def _nbytes(structure: Any) -> int:
    return sum(
        leaf.numel() * leaf.element_size() for leaf in flatten(structure) if isinstance(leaf, torch.Tensor)
    )


def fits_on_device(nbytes: int, device: torch.device) -> bool:
    """Whether arrays of `nbytes` move to `device` once: always off CUDA, and on CUDA when they
    take at most `DEVICE_MEMORY_SHARE` of the device's free memory."""
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes <= DEVICE_MEMORY_SHARE * free


def _pinned(leaf: Any) -> Any:
    if not isinstance(leaf, torch.Tensor) or leaf.device.type != "cpu":
        return leaf
    try:
        return leaf.pin_memory()
    except RuntimeError:  # no page-locked memory to spare: pageable copies still work
        return leaf


class ArrayData(DataSource):
    """In-memory arrays, sliced into batches of `batch_size` (the last partial batch kept).

    Data that fits (see `fits_on_device`) moves to `device` once and is sliced there; larger
    arrays on CUDA stay in pinned host memory and each batch moves with `non_blocking=True`.

    Args:
        x, y, sample_weight: arrays or nested structures of arrays of equal length.
        batch_size: samples per batch (32 by default, as Keras).
        shuffle: a fresh permutation each epoch when True; `"batch"` shuffles batch order.
        device: where batches are produced.
        steps, keep_position: see `DataSource`.
        allow_empty: accept zero samples (`predict`).
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
        steps: int | None = None,
        keep_position: bool = False,
    ):
        super().__init__(steps, keep_position)
        if batch_size is not None:
            check_positive_int(batch_size, "batch_size")
        self.batch_size = batch_size or 32
        self.shuffle = shuffle
        self.device = device or torch.device("cpu")
        data = {
            "x": _to_tensors(x, "x"),
            "y": _to_tensors(y, "y"),
            "sample_weight": _to_tensors(sample_weight, "sample_weight"),
        }
        lengths = {name: _length(value, name) for name, value in data.items()}
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
        # Where slicing happens: on the device when the arrays fit, else on the host.
        self._stream = self._sparse or not fits_on_device(_nbytes(data), self.device)
        if not self._sparse:
            data = map_structure(_pinned, data) if self._stream else to_device(data, self.device)
        self.data = (data["x"], data["y"], data["sample_weight"])
        present = [value for value in self.data if value is not None]
        plain = all(isinstance(value, torch.Tensor) for value in present) and (
            self.data[1] is not None or self.data[2] is None
        )
        self._flat_tensors = tuple(present) if plain and not self._stream else ()
        self.pass_length = max(1, math.ceil(self.num_samples / self.batch_size))

    def _take(self, indices: torch.Tensor | slice) -> tuple:
        if self._flat_tensors:  # the common case, once per step: plain tensors, no nesting
            if isinstance(indices, slice):
                return tuple([leaf[indices] for leaf in self._flat_tensors])
            return tuple([leaf.index_select(0, indices) for leaf in self._flat_tensors])

        def take(leaf: Any) -> Any:
            if leaf is None:
                return None
            if _is_sparse(leaf) or _is_text(leaf):
                rows = indices if isinstance(indices, slice) else indices.cpu().numpy()
                if _is_text(leaf):
                    return leaf[rows]
                return to_tensor(leaf.tocsr()[rows].toarray(), device=self.device)
            if isinstance(indices, slice):
                part = leaf[indices]  # a view of pinned memory stays pinned
            else:
                part = leaf.index_select(0, indices)
                part = _pinned(part) if self.device.type == "cuda" else part
            return part.to(self.device, non_blocking=True)

        return pack_x_y_sample_weight(*map_structure(take, self.data))

    def epoch_order(self) -> torch.Tensor | None:
        """The sample order of the next pass: None (in order), a permutation of the samples, or
        (`shuffle="batch"`) of the batches. The one place where shuffling draws its randomness."""
        if not self.shuffle or self.num_samples == 0:
            return None
        if self.shuffle == "batch":
            return torch.randperm(self.pass_length)
        return torch.randperm(self.num_samples)

    def _pass(self) -> Iterator[tuple]:
        size = self.batch_size
        order = self.epoch_order()
        if order is None:
            for start in range(0, max(self.num_samples, 1), size):
                yield self._take(slice(start, start + size))
        elif self.shuffle == "batch":
            for batch in order.tolist():
                start = batch * size
                yield self._take(
                    torch.arange(start, min(start + size, self.num_samples), device=self._where())
                )
        else:
            order = order.to(self._where())
            for start in range(0, self.num_samples, size):
                yield self._take(order[start : start + size])

    def _where(self) -> torch.device:
        """Where the arrays are sliced (and so where indices must live)."""
        return torch.device("cpu") if self._stream else self.device


class IterableData(DataSource):
    """Batches from a `Dataset`, `DataLoader`, `PyDataset`, generator or other iterable.

    Re-iterable sources start a new pass each epoch; a one-shot iterator (a generator)
    continues where the previous epoch stopped. A source without a length (a generator, a
    `DataLoader` over an `IterableDataset` without `__len__`) runs with an unknown step count.
    """

    def __init__(
        self,
        source: Any,
        batch_size: int | None = None,
        shuffle: bool = False,
        steps: int | None = None,
        device: torch.device | None = None,
        keep_position: bool = False,
    ):
        from torch.utils.data import DataLoader, Dataset, IterableDataset

        super().__init__(steps, keep_position)
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
        self._one_shot = isinstance(source, Iterator) and not self._py_dataset
        self._source_iterator: Iterator | None = None
        self.pass_length = _length_of(source)
        self._non_blocking = self.device.type == "cuda"

    def _raw_batches(self) -> Iterator[Any]:
        if self._py_dataset:
            return (self.source[i] for i in range(len(self.source)))
        if self._one_shot:
            return self.source
        return iter(self.source)

    def _pass(self) -> Iterator[tuple]:
        for batch in self._raw_batches():
            x, y, sample_weight = unpack_x_y_sample_weight(batch)
            x, y, sample_weight = (
                _to_tensors(x, "x"),
                _to_tensors(y, "y"),
                _to_tensors(sample_weight, "sample_weight"),
            )
            _check_batch(x, y, sample_weight)
            moved = to_device((x, y, sample_weight), self.device, non_blocking=self._non_blocking)
            yield pack_x_y_sample_weight(*moved)

    def on_epoch_end(self) -> None:
        if self._py_dataset:
            self.source.on_epoch_end()


def _length_of(source: Any) -> int | None:
    """`len(source)`, or None for a source without one (generators, an unsized `DataLoader`)."""
    if isinstance(source, Iterator) and not hasattr(source, "__len__"):
        return None
    try:
        return len(source)
    except TypeError:  # a DataLoader over an IterableDataset without `__len__`
        return None


def _check_batch(x: Any, y: Any, sample_weight: Any) -> None:
    """A batch from an iterable must hold arrays with one shared batch dimension."""
    leaves = [leaf for leaf in flatten(x) if leaf is not None]
    if not leaves:
        raise ValueError(
            "Each batch must hold inputs `x`: `(x,)`, `(x, y)` or `(x, y, sample_weight)` with "
            f"arrays. Received a batch whose x is {x!r}."
        )
    rows = {}
    for name, value in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        for leaf in flatten(value):
            if isinstance(leaf, torch.Tensor):
                if leaf.ndim == 0:
                    raise ValueError(
                        f"Each batch's `{name}` must be arrays with a batch dimension. Received a "
                        f"scalar: {name}={leaf.item()!r}."
                    )
                rows.setdefault(name, set()).add(leaf.shape[0])
    counts = {size for sizes in rows.values() for size in sizes}
    if len(counts) > 1:
        found = ", ".join(f"{name}: {sorted(sizes)}" for name, sizes in rows.items())
        raise ValueError(f"All arrays of a batch must have the same number of rows. Received: {found}.")


def make_data(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    batch_size: int | None = None,
    steps: int | None = None,
    shuffle: bool | str = False,
    device: torch.device | None = None,
    allow_empty: bool = False,
    keep_position: bool = False,
) -> ArrayData | IterableData:
    """Picks the right data source for `x` (arrays or an iterable of batches).

    `steps` bounds each epoch (see `DataSource`); `keep_position` (training in `fit`) lets the
    next epoch continue the pass where the previous one stopped, as Keras does.
    """
    if x is None:
        raise ValueError(
            "`x` must be given: arrays, a dataset, a DataLoader or a generator. Received: x=None."
        )
    cap = config.max_steps_per_epoch()
    if cap is not None and (steps is None or cap < steps):
        steps = cap  # `keras.config.set_max_steps_per_epoch`, a debugging aid
    if _is_array_like(x):
        return ArrayData(x, y, sample_weight, batch_size, shuffle, device, allow_empty, steps, keep_position)
    if y is not None or sample_weight is not None:
        raise ValueError(
            "`y` and `sample_weight` must not be given when `x` is a dataset, generator or "
            f"iterable (it yields them). Received: x of type {type(x).__name__} and a `y`."
        )
    if isinstance(x, (str, bytes)):
        raise ValueError(f"`x` must be arrays or an iterable of batches. Received: {type(x).__name__}")
    if not hasattr(x, "__iter__") and not hasattr(x, "__getitem__"):
        raise ValueError(f"Unrecognized data type for `x`: {type(x).__name__}.")
    return IterableData(x, batch_size, bool(shuffle), steps, device, keep_position)


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
    num_samples = _length(x, "x")
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
    if isinstance(x, torch.Tensor):
        return x.shape[0] if x.ndim else 1
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
    """All of `x` (arrays) as one batch, for the `*_on_batch` methods."""
    data = ArrayData(x, y, sample_weight, device=device)
    return data._take(slice(0, data.num_samples))


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
