"""`ReduceLROnPlateau`: lowers the learning rate when a monitored metric stalls."""

from __future__ import annotations

import warnings

import numpy as np

from torchkeras.callbacks.monitor_callback import MonitorCallback
from torchkeras.optimizers.torch_optim import get_learning_rate, set_learning_rate
from torchkeras.utils.validation import invalid

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by `factor` when `monitor` stops improving.

    After `patience` epochs without an improvement of at least `min_delta`, the
    optimizer's learning rate becomes `max(lr * factor, min_lr)`; then `cooldown`
    epochs pass before epochs count towards `patience` again. It also adds the
    current learning rate to the epoch logs as `"learning_rate"`. With a `torch.optim`
    optimizer, the first parameter group's rate is read and every group is scaled alike.

    Args:
        monitor: quantity to watch in the epoch logs. Defaults to `"val_loss"`.
        factor: multiplier applied to the learning rate; must be < 1.
        patience: number of epochs without improvement before reducing.
        verbose: 0 (silent) or 1 (print a message on each reduction).
        mode: `"auto"`, `"min"` or `"max"` (see `MonitorCallback`).
        min_delta: smallest absolute change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: lower bound of the learning rate.

    Example:
    ```python
    reduce_lr = keras.callbacks.ReduceLROnPlateau(factor=0.2, patience=5, min_lr=0.001)
    model.fit(x, y, validation_split=0.2, callbacks=[reduce_lr])
    ```
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise invalid("factor", "must be < 1.0", factor, owner="ReduceLROnPlateau")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()  # late, so the model's metrics exist
        logs = logs or {}
        logs["learning_rate"] = get_learning_rate(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return

        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_lr(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def in_cooldown(self) -> bool:
        """Whether the callback is waiting out its cooldown after a reduction."""
        return self.cooldown_counter > 0

    def _reduce_lr(self, epoch: int) -> bool:
        optimizer = self.model.optimizer
        old_lr = get_learning_rate(optimizer)
        # Compared in float32, the precision the learning rate is stored in.
        if old_lr <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        set_learning_rate(optimizer, new_lr)  # every torch parameter group scaled alike
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
