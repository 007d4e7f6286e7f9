"""`BackupAndRestore`: resume an interrupted `fit` exactly where its last backup was taken."""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import warnings
from typing import Any

import torch

from torchkeras.callbacks.callback import Callback
from torchkeras.random.seed_generator import global_seed_state, set_global_seed_state
from torchkeras.utils.io import atomic_write, read_limited
from torchkeras.utils.validation import invalid

__all__ = ["BackupAndRestore"]

_SLOTS = ("backup-0.weights.safetensors", "backup-1.weights.safetensors")
_METADATA = "training_metadata.json"
_ENTRY_KEYS = ("epoch", "batch", "step", "weights", "rng", "epoch_rng", "metrics", "data_position")
_METADATA_LIMIT = 16 << 20  # bytes of metadata read at most (metric accumulators included)
_DTYPES = {
    name: getattr(torch, name)
    for name in ("float16", "bfloat16", "float32", "float64", "int32", "int64", "bool")
}


class BackupAndRestore(Callback):
    """Backs up the training state so an interrupted `fit` resumes where it stopped.

    A backup holds the weights, the optimizer state, the epoch and step reached, and the random
    number generator states: torch's global ones, and (in the weights file, as `save_weights`
    writes them) the streams of layers with their own seed. A backup taken mid-epoch
    (`save_freq=N`) also holds the generator state the epoch started from (so a shuffled epoch
    resumes with the same order) and the epoch's metric accumulators (so its logs and `History`
    entry are those of an uninterrupted run). When `fit` starts and a backup exists in
    `backup_dir`, it is checked in full, then loaded, and training continues from that point: with
    fixed seeds, the final weights and logs equal those of an uninterrupted run, with or without
    shuffling and dropout. Backups are committed in two steps (the weights go to a new file, then a
    small metadata file points to it, each written atomically), so a crash while backing up leaves
    the previous backup usable. A backup that cannot be read raises an error, with the model
    untouched, instead of silently starting over.

    Args:
        backup_dir: folder for the backup files; use it for nothing else.
        save_freq: `"epoch"` to back up at each epoch end, or an integer N to back up every N
            training batches.
        double_checkpoint: keep the previous backup too, and fall back to it when the latest one
            cannot be read.
        delete_checkpoint: delete the backup files when `fit` finishes normally.

    Example:
    ```python
    backup = keras.callbacks.BackupAndRestore("/tmp/backup", save_freq=100)
    model.fit(x, y, epochs=10, callbacks=[backup])  # rerun the same line after a crash
    ```
    """

    def __init__(
        self,
        backup_dir: str | os.PathLike,
        save_freq: str | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise invalid("save_freq", "must be 'epoch' or a positive integer number of batches", save_freq)
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._metadata_path = os.path.join(self.backup_dir, _METADATA)
        self._current_epoch = 0
        self._batches_since_backup = 0
        self._last_batch_seen = -1
        self._latest: dict[str, Any] | None = None
        self._epoch_rng: dict[str, Any] | None = None  # the generators as the epoch began
        self._resume_at: tuple[int, dict, Any] | None = None  # (step, rng, metric state) to apply

    # ------------------------------------------------------------------------- restoring

    def on_train_begin(self, logs: dict | None = None) -> None:
        metadata = self._read_metadata()
        if metadata is None:
            return
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you call `fit()`. "
                f"Model '{self.model.name}' is unbuilt: build it by calling it on a batch of data."
            )
        candidates = [metadata] + (
            [metadata["previous"]] if self.double_checkpoint and metadata.get("previous") else []
        )
        errors = []
        for entry in candidates:
            try:
                checked = _checked_state(entry)  # all of it, before the model is touched
                self.model.load_weights(os.path.join(self.backup_dir, entry["weights"]))
            except (ValueError, OSError) as error:
                errors.append(str(error))
                continue
            self._resume_from(entry, checked)
            return
        raise ValueError(
            f"BackupAndRestore: the backup in {self.backup_dir!r} cannot be loaded ({'; '.join(errors)}). "
            "Delete that folder to start training over."
        )

    def _read_metadata(self) -> dict[str, Any] | None:
        if not os.path.exists(self._metadata_path):
            return None
        try:
            metadata = json.loads(read_limited(self._metadata_path, _METADATA_LIMIT, "backup metadata"))
            _check_entry(metadata)
            if metadata.get("previous") is not None:
                _check_entry(metadata["previous"])
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"BackupAndRestore: the backup metadata {self._metadata_path!r} is corrupt ({error}). "
                "Delete the backup folder to start training over."
            ) from None
        return metadata

    def _resume_from(self, entry: dict[str, Any], checked: dict[str, Any]) -> None:
        self._latest = {key: entry[key] for key in _ENTRY_KEYS if key in entry}
        self._current_epoch = entry["epoch"]
        self._last_batch_seen = entry["step"] - 1
        # Read by `fit` right after `on_train_begin`, as Keras's `model._initial_epoch`.
        self.model._initial_epoch = entry["epoch"]
        self.model._initial_step = entry["step"]
        if checked["data_position"] is not None:  # read by `fit` with `_initial_epoch`
            self.model._initial_data_position = checked["data_position"]
        if entry["step"] and checked["epoch_rng"] is not None:
            # The epoch is redrawn from its start (same shuffle order); the generators and the
            # metrics reach the backup's point when its first step begins.
            _set_rng_state(checked["epoch_rng"])
            self._resume_at = (entry["step"], checked["rng"], checked["metrics"])
        else:
            _set_rng_state(checked["rng"])

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if self._resume_at is None or batch < self._resume_at[0]:
            return
        _, rng, metrics = self._resume_at
        self._resume_at = None
        _set_rng_state(rng)
        if metrics is not None:
            _restore_metrics(self.model, metrics)

    # --------------------------------------------------------------------------- backing up

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch
        if self.save_freq != "epoch":
            self._epoch_rng = _rng_state()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            return
        new_batches = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._last_batch_seen = batch
        self._batches_since_backup += new_batches
        if self._batches_since_backup >= self.save_freq:
            self._batches_since_backup = 0
            self._back_up(epoch=self._current_epoch, batch=batch, step=batch + 1)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._last_batch_seen = -1
        if self.save_freq == "epoch":
            self._back_up(epoch=epoch + 1, batch=0, step=0)

    def _back_up(self, epoch: int, batch: int, step: int) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        previous = self._latest
        slot = _SLOTS[1] if previous is not None and previous["weights"] == _SLOTS[0] else _SLOTS[0]
        self.model.save_weights(os.path.join(self.backup_dir, slot), overwrite=True)
        entry = {"epoch": epoch, "batch": batch, "step": step, "weights": slot, "rng": _rng_state()}
        if step:
            entry["epoch_rng"] = self._epoch_rng
            entry["metrics"] = _metric_state(self.model)
        pass_rng, taken = self.model._data_position()
        if pass_rng is not None and taken > step:  # this epoch continues a pass begun before
            entry["data_position"] = {"rng": {"cpu": _encode(pass_rng)}, "taken": taken - step}
        metadata = {**entry, "previous": previous if self.double_checkpoint else None}
        atomic_write(self._metadata_path, json.dumps(metadata).encode())  # the commit point
        self._latest = entry

    def on_train_end(self, logs: dict | None = None) -> None:
        if not self.delete_checkpoint:
            return
        for name in (_METADATA, *_SLOTS):  # the metadata first: without it nothing is restored
            path = os.path.join(self.backup_dir, name)
            if os.path.exists(path):
                os.remove(path)
        self._latest = None
        with contextlib.suppress(OSError):  # not empty (other files) or already gone
            os.rmdir(self.backup_dir)


def _check_entry(entry: Any) -> None:
    if not isinstance(entry, dict):
        raise TypeError("expected a JSON object")
    for key in ("epoch", "batch", "step"):
        if isinstance(entry[key], bool) or not isinstance(entry[key], int) or entry[key] < 0:
            raise ValueError(f"`{key}` must be a non-negative integer, not {entry[key]!r}")
    if entry["weights"] not in _SLOTS:  # names from a file are never used as paths
        raise ValueError(f"unexpected weights file {entry['weights']!r}")
    if not isinstance(entry["rng"], dict):
        raise ValueError("`rng` must be a JSON object")


def _checked_state(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry's generator states and metric accumulators, decoded and checked (the generator
    states are tried on the generators and put back), so nothing fails after weights load."""
    checked = {
        "rng": _decode_rng(entry["rng"]),
        "epoch_rng": None if entry.get("epoch_rng") is None else _decode_rng(entry["epoch_rng"]),
        "metrics": None if entry.get("metrics") is None else _decode_metrics(entry["metrics"]),
        "data_position": _decode_position(entry.get("data_position")),
    }
    current = _decode_rng(_rng_state())
    try:
        pass_rng = checked["data_position"] and {"cpu": checked["data_position"][0]}
        for state in (checked["rng"], checked["epoch_rng"], pass_rng):
            if state is not None:
                _set_rng_state(state)
    finally:
        _set_rng_state(current)
    return checked


def _decode_position(position: Any) -> tuple[torch.Tensor, int] | None:
    """`(generator state the pass was drawn from, batches of it before the resumed epoch)`."""
    if position is None:
        return None
    taken = position.get("taken") if isinstance(position, dict) else None
    if isinstance(taken, bool) or not isinstance(taken, int) or taken < 1 or "rng" not in position:
        raise ValueError("BackupAndRestore: the backup's data position is corrupt.")
    state = _decode_rng(position["rng"])
    if "cpu" not in state:
        raise ValueError("BackupAndRestore: the backup's data position is corrupt (no generator state).")
    return state["cpu"], taken


def _rng_state() -> dict[str, Any]:
    """torch's global generators, and the global `SeedGenerator` (of `keras.random`'s
    `seed=None`) once drawn from. The layers' own streams travel in the weights file."""
    state: dict[str, Any] = {"cpu": _encode(torch.get_rng_state())}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = [_encode(s) for s in torch.cuda.get_rng_state_all()]
    seed_state = global_seed_state()
    if seed_state is not None:
        state["seed_generator"] = seed_state
    return state


def _encode(tensor: torch.Tensor) -> str:
    return base64.b64encode(
        tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
    ).decode()


def _decode_bytes(text: Any, what: str) -> torch.Tensor:
    if not isinstance(text, str):
        raise ValueError(
            f"BackupAndRestore: {what} is corrupt (expected a base64 string, received a "
            f"{type(text).__name__})."
        )
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as error:
        raise ValueError(f"BackupAndRestore: {what} is corrupt ({error}).") from None
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8) if raw else torch.zeros(0, dtype=torch.uint8)


def _decode_rng(state: Any) -> dict[str, Any]:
    """`{"cpu": uint8 tensor, "cuda": [...]}`; a state of another length than the generator's is
    refused here (torch would refuse it only when set)."""
    if not isinstance(state, dict) or not set(state) <= {"cpu", "cuda", "seed_generator"}:
        raise ValueError(
            "BackupAndRestore: the backup's random generator state is corrupt (not a JSON object)."
        )
    decoded: dict[str, Any] = {}
    if "cpu" in state:
        decoded["cpu"] = _decode_bytes(state["cpu"], "the backup's CPU random generator state")
        if decoded["cpu"].numel() != torch.get_rng_state().numel():
            raise ValueError(
                "BackupAndRestore: the backup's random generator state is corrupt (the CPU state has "
                f"{decoded['cpu'].numel()} bytes, torch's has {torch.get_rng_state().numel()})."
            )
    if "seed_generator" in state:
        seed_state = state["seed_generator"]
        if not (
            isinstance(seed_state, list)
            and len(seed_state) == 2
            and all(
                isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31 for v in seed_state
            )
        ):
            raise ValueError(
                "BackupAndRestore: the backup's random generator state is corrupt (the SeedGenerator "
                f"state must be two int32 values, not {str(seed_state)[:100]})."
            )
        decoded["seed_generator"] = seed_state
    if "cuda" in state:
        if not isinstance(state["cuda"], list):
            raise ValueError("BackupAndRestore: the backup's CUDA random generator state is corrupt.")
        decoded["cuda"] = [
            _decode_bytes(s, "the backup's CUDA random generator state") for s in state["cuda"]
        ]
    return decoded


def _set_rng_state(state: dict[str, Any]) -> None:
    try:
        if "cpu" in state:
            torch.set_rng_state(state["cpu"])
        if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(state["cuda"])
        if "cpu" in state:  # `seed_generator` absent: not drawn from when the state was taken
            set_global_seed_state(state.get("seed_generator"))
    except (ValueError, RuntimeError, TypeError) as error:
        raise ValueError(
            f"BackupAndRestore: the backup's random generator state is corrupt ({error})."
        ) from None


def _metrics_of(model: Any) -> list[tuple[str, list[torch.Tensor]]]:
    return [(metric.name, list(metric.variables)) for metric in model.metrics]


def _metric_state(model: Any) -> list[list[Any]]:
    """`[[metric name, [[dtype, shape, base64 bytes], ...]], ...]`: the epoch's accumulators."""
    return [
        [name, [[str(v.dtype).removeprefix("torch."), list(v.shape), _encode(v)] for v in variables]]
        for name, variables in _metrics_of(model)
    ]


def _decode_metrics(state: Any) -> list[tuple[str, list[torch.Tensor]]]:
    error = ValueError("BackupAndRestore: the backup's metric state is corrupt.")
    if not isinstance(state, list):
        raise error
    decoded = []
    for item in state:
        if not (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and isinstance(item[1], list)
        ):
            raise error
        values = []
        for variable in item[1]:
            if not (isinstance(variable, list) and len(variable) == 3 and variable[0] in _DTYPES):
                raise error
            dtype, shape = _DTYPES[variable[0]], variable[1]
            if not (
                isinstance(shape, list)
                and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
            ):
                raise error
            raw = _decode_bytes(variable[2], "the backup's metric state")
            if raw.numel() != math.prod(shape) * dtype.itemsize:
                raise error
            values.append(raw.view(dtype).reshape(shape))
        decoded.append((item[0], values))
    return decoded


def _restore_metrics(model: Any, saved: list[tuple[str, list[torch.Tensor]]]) -> None:
    """Puts the cut epoch's accumulators back; when the model's metrics are not those of the
    backup, warns and leaves them (only the cut epoch's logs then differ)."""
    ours = _metrics_of(model)
    fits = [name for name, _ in ours] == [name for name, _ in saved] and all(
        len(a) == len(b) and all(tuple(x.shape) == tuple(y.shape) for x, y in zip(a, b))
        for (_, a), (_, b) in zip(ours, saved)
    )
    if not fits:
        warnings.warn(
            "BackupAndRestore: the model's metrics differ from the backup's "
            f"({[name for name, _ in ours]} vs {[name for name, _ in saved]}); the resumed epoch's "
            "logs restart from this batch.",
            stacklevel=2,
        )
        return
    with torch.no_grad():
        for (_, variables), (_, values) in zip(ours, saved):
            for variable, value in zip(variables, values):
                variable.copy_(value.to(device=variable.device, dtype=variable.dtype))
