"""`BackupAndRestore`: resume an interrupted `fit` exactly where its last backup was taken."""

from __future__ import annotations

import base64
import contextlib
import json
import os
from typing import Any

import torch

from torchkeras.callbacks.callback import Callback
from torchkeras.utils.io import atomic_write, read_limited
from torchkeras.utils.validation import invalid

__all__ = ["BackupAndRestore"]

_SLOTS = ("backup-0.weights.safetensors", "backup-1.weights.safetensors")
_METADATA = "training_metadata.json"


class BackupAndRestore(Callback):
    """Backs up the training state so an interrupted `fit` resumes where it stopped.

    A backup holds the weights, the optimizer state, the epoch and step reached, and the random
    number generator states. When `fit` starts and a backup exists in `backup_dir`, it is loaded
    and training continues from that point: with fixed seeds and `shuffle=False`, the final weights
    equal those of an uninterrupted run. Backups are committed in two steps (the weights go to a
    new file, then a small metadata file points to it, each written atomically), so a crash while
    backing up leaves the previous backup usable. A backup that cannot be read raises an error
    instead of silently starting over.

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
                self.model.load_weights(os.path.join(self.backup_dir, entry["weights"]))
            except (ValueError, OSError) as error:
                errors.append(str(error))
                continue
            self._resume_from(entry)
            return
        raise ValueError(
            f"BackupAndRestore: the backup in {self.backup_dir!r} cannot be loaded ({'; '.join(errors)}). "
            "Delete that folder to start training over."
        )

    def _read_metadata(self) -> dict[str, Any] | None:
        if not os.path.exists(self._metadata_path):
            return None
        try:
            metadata = json.loads(read_limited(self._metadata_path, 1 << 20, "backup metadata"))
            _check_entry(metadata)
            if metadata.get("previous") is not None:
                _check_entry(metadata["previous"])
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"BackupAndRestore: the backup metadata {self._metadata_path!r} is corrupt ({error}). "
                "Delete the backup folder to start training over."
            ) from None
        return metadata

    def _resume_from(self, entry: dict[str, Any]) -> None:
        self._latest = {key: entry[key] for key in ("epoch", "batch", "step", "weights", "rng")}
        self._current_epoch = entry["epoch"]
        self._last_batch_seen = entry["step"] - 1
        # Read by `fit` right after `on_train_begin`, as Keras's `model._initial_epoch`.
        self.model._initial_epoch = entry["epoch"]
        self.model._initial_step = entry["step"]
        _set_rng_state(entry["rng"])

    # --------------------------------------------------------------------------- backing up

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

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


def _rng_state() -> dict[str, Any]:
    state = {"cpu": base64.b64encode(torch.get_rng_state().numpy().tobytes()).decode()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = [
            base64.b64encode(s.numpy().tobytes()).decode() for s in torch.cuda.get_rng_state_all()
        ]
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    def decode(text: Any) -> torch.Tensor:
        return torch.frombuffer(bytearray(base64.b64decode(text, validate=True)), dtype=torch.uint8)

    try:
        if "cpu" in state:
            torch.set_rng_state(decode(state["cpu"]))
        if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([decode(s) for s in state["cuda"]])
    except (ValueError, RuntimeError, TypeError) as error:
        raise ValueError(
            f"BackupAndRestore: the backup's random generator state is corrupt ({error})."
        ) from None
