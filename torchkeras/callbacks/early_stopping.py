"""`EarlyStopping`: stops training when a monitored metric stops improving."""

from __future__ import annotations

import warnings
from typing import Any

from torchkeras.callbacks.monitor_callback import MonitorCallback

__all__ = ["EarlyStopping"]


class EarlyStopping(MonitorCallback):
    """Stops training once `monitor` has not improved for `patience` epochs.

    At each epoch end it compares the monitored value with the best so far; after
    `patience` epochs without an improvement of at least `min_delta`, it sets
    `model.stop_training = True`.

    Args:
        monitor: quantity to watch in the epoch logs. Defaults to `"val_loss"`.
        min_delta: smallest absolute change that counts as an improvement.
        patience: number of epochs without improvement before stopping.
        verbose: 0 (silent) or 1 (print a message when stopping or restoring).
        mode: `"auto"`, `"min"` or `"max"`: whether the quantity should go
            down or up; `"auto"` infers it from the name (see `MonitorCallback`).
        baseline: value the quantity must beat; while it does not, epochs
            count towards `patience` even when they improve on each other.
        restore_best_weights: whether to restore, at the end of training, the
            weights of the best epoch seen (whether or not training stopped
            early, and even when no epoch beat `baseline`).
        start_from_epoch: number of warm-up epochs before monitoring starts.

    Example:
    ```python
    callback = keras.callbacks.EarlyStopping(monitor="loss", patience=3)
    model.fit(x, y, epochs=100, callbacks=[callback])
    ```
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights: list | None = None
        self.best_epoch = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        # Reset, so one instance can serve several `fit` calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()  # late, so the model's metrics exist
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # The first monitored epoch is the best one seen so far.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Patience restarts only once the baseline is beaten too.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs: dict | None) -> Any:
        """Returns `logs[monitor]`, warning (and returning `None`) when it is missing."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs)}",
                stacklevel=2,
            )
        return value
