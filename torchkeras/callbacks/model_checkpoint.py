"""`ModelCheckpoint`: saves the model or its weights during training."""

from __future__ import annotations

import importlib
import os
import warnings
from typing import Any

from torchkeras.callbacks.logs import pythonify_logs
from torchkeras.callbacks.monitor_callback import MonitorCallback
from torchkeras.utils.validation import invalid

__all__ = ["ModelCheckpoint"]

_WEIGHTS_SUFFIXES = (".weights.h5", ".weights.safetensors")
_MODEL_SUFFIXES = (".keras", ".safetensors")


class ModelCheckpoint(MonitorCallback):
    """Saves the model (`model.save`) or its weights (`model.save_weights`) as training goes.

    `filepath` may hold format fields filled from `epoch` (1-based), `batch`
    (1-based, batch-level saving) and the logs, e.g.
    `"ckpt/{epoch:02d}-{val_loss:.2f}.keras"`.

    Args:
        filepath: where to save. Full models need a `.keras` or `.safetensors`
            path; weights only (`save_weights_only=True`) need a path ending in
            `.weights.h5` or `.weights.safetensors`.
        monitor: quantity compared when `save_best_only=True`.
        verbose: 0 (silent) or 1 (print a message on each save decision).
        save_best_only: save only when `monitor` improves on the best value so
            far (a path without format fields is then overwritten each time).
        save_weights_only: save the weights only instead of the whole model.
        mode: `"auto"`, `"min"` or `"max"` (see `MonitorCallback`).
        save_freq: `"epoch"` to save at each epoch end, or an integer N to save
            every N training batches (with that batch's running logs).
        initial_value_threshold: best value to beat before the first save when
            `save_best_only=True`.

    Example:
    ```python
    checkpoint = keras.callbacks.ModelCheckpoint(
        "best.keras", monitor="val_accuracy", mode="max", save_best_only=True
    )
    model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])
    ```
    """

    # Batch logs are read (one host sync) only on the batches that save.
    _handles_tensor_logs = True

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        self._current_epoch = 0
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)):
            raise invalid("save_freq", "must be 'epoch' or an integer number of batches", save_freq)
        suffixes = _WEIGHTS_SUFFIXES if save_weights_only else _MODEL_SUFFIXES
        if not self.filepath.endswith(suffixes):
            what = "with `save_weights_only=True` " if save_weights_only else ""
            raise invalid(
                "filepath", f"{what}must end in one of {suffixes}", self.filepath, "ModelCheckpoint"
            )

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Checks, before the first epoch, everything a save will need: the optional h5py for
        `.keras` / `.weights.h5` files, a destination that is not a directory, and (whole-model
        saving) a model that has a config."""
        if self.filepath.endswith((".keras", ".h5")):
            try:
                importlib.import_module("h5py")
            except ImportError:
                raise ImportError(
                    f"ModelCheckpoint: saving to {self.filepath!r} needs the optional `h5py` package. "
                    'Install torchkeras\'s `h5` extra (`pip install -e ".[h5]"` from a checkout) or '
                    "`pip install h5py`, or save to a `.safetensors` path instead."
                ) from None
        if "{" not in self.filepath and os.path.isdir(self.filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. "
                f"Filepath used is an existing directory: {self.filepath}"
            )
        self._check_directory()
        get_config = getattr(self.model, "get_config", None)
        if not self.save_weights_only and get_config is not None:
            try:
                get_config()
            except NotImplementedError as error:
                raise ValueError(
                    f"ModelCheckpoint cannot save the whole model: {error} Pass "
                    "`save_weights_only=True` with a `.weights.safetensors` path."
                ) from None

    def _check_directory(self) -> None:
        """The nearest existing folder of the (unformatted part of the) path must be writable."""
        directory = os.path.dirname(self.filepath.split("{", 1)[0]) or "."
        while not os.path.exists(directory):
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent or "."
        if not os.path.isdir(directory):
            raise OSError(f"ModelCheckpoint: {directory!r} in filepath={self.filepath!r} is not a folder.")
        if not os.access(directory, os.W_OK):
            raise PermissionError(
                f"ModelCheckpoint: cannot write in {directory!r} (filepath={self.filepath!r})."
            )

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, pythonify_logs(logs))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()  # late, so the model's metrics exist
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs or {})

    def _should_save_on_batch(self, batch: int) -> bool:
        """Counts batches (a batch index that does not grow means a new epoch)."""
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            new_batches = batch + 1
        else:
            new_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += new_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch: int, logs: dict[str, Any], filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if getattr(current, "ndim", 0) > 0:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                "Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        if self.monitor_op is None:
            self._set_monitor_op()  # batch-level saving before the first epoch end
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
                    f"saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> None:
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. "
                f"Filepath used is an existing directory: {filepath}"
            )
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> str:
        """Fills `filepath`'s format fields from `epoch + 1`, `batch + 1` and the logs."""
        fields = dict(logs)
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        fields["epoch"] = epoch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}'
            ) from None
