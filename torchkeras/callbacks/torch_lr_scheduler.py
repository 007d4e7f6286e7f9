"""`TorchLRScheduler`: drives a `torch.optim.lr_scheduler` from `fit`."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from torchkeras.callbacks.callback import Callback
from torchkeras.optimizers.torch_optim import attach_scheduler, get_learning_rate
from torchkeras.utils.validation import invalid

__all__ = ["TorchLRScheduler"]


class TorchLRScheduler(Callback):
    """Steps a torch learning-rate scheduler after every epoch or every training batch.

    Any `torch.optim.lr_scheduler` works; `ReduceLROnPlateau` is stepped with the epoch's value of
    `monitor`. The scheduler's state is saved with its optimizer's (by `model.save`,
    `save_weights`, `ModelCheckpoint` and `BackupAndRestore`) and restored with it, so a resumed
    run continues the schedule. The learning rate in use when the epoch ends (before an
    epoch-end step) is added to the epoch logs as `"learning_rate"`, as Keras's learning-rate
    callbacks do. It runs before the other callbacks at each event, so the ones that save
    (`ModelCheckpoint`, `BackupAndRestore`) store the schedule after its step.

    Args:
        scheduler: the scheduler, built on the optimizer passed to `compile`.
        interval: `"epoch"` (step after each epoch) or `"batch"` (after each training batch).
        monitor: the epoch log `ReduceLROnPlateau` is stepped with. Defaults to `"val_loss"`.

    Example:
    ```python
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    model.compile(optimizer=optimizer, loss=torch.nn.CrossEntropyLoss())
    model.fit(x, y, epochs=30, callbacks=[keras.callbacks.TorchLRScheduler(scheduler)])
    ```
    """

    def __init__(self, scheduler: Any, interval: str = "epoch", monitor: str = "val_loss") -> None:
        super().__init__()
        if not isinstance(getattr(scheduler, "optimizer", None), torch.optim.Optimizer) or not hasattr(
            scheduler, "step"
        ):
            raise invalid(
                "scheduler", "must be a torch.optim.lr_scheduler object", scheduler, owner="TorchLRScheduler"
            )
        if interval not in ("epoch", "batch"):
            raise invalid("interval", "must be 'epoch' or 'batch'", interval, owner="TorchLRScheduler")
        self.scheduler = scheduler
        self.interval = interval
        self.monitor = monitor
        self._plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
        attach_scheduler(scheduler)  # from now on its state is saved (and restored) with the optimizer

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.model.optimizer is not self.scheduler.optimizer:
            raise ValueError(
                "TorchLRScheduler: the scheduler was built on another optimizer than the model's. "
                "Build it on the optimizer passed to `compile()`."
            )

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.interval == "batch":
            self._step(logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:  # the rate in use when the epoch ended, as Keras's callbacks log it
            logs["learning_rate"] = get_learning_rate(self.model.optimizer)
        if self.interval == "epoch":
            self._step(logs)

    def _step(self, logs: dict | None) -> None:
        if not self._plateau:
            self.scheduler.step()
            return
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"TorchLRScheduler: ReduceLROnPlateau is conditioned on `{self.monitor}`, which is not "
                f"available. Available metrics are: {','.join(logs or {})}.",
                stacklevel=2,
            )
            return
        self.scheduler.step(float(current))
