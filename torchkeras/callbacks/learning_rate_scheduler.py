"""`LearningRateScheduler`: sets the learning rate from a function of the epoch."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from torchkeras.callbacks.callback import Callback
from torchkeras.optimizers.torch_optim import get_learning_rate, set_learning_rate

__all__ = ["LearningRateScheduler"]


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate at the start of every epoch.

    The new rate is `schedule(epoch, lr)` (or `schedule(epoch)` for one-argument
    functions), with `epoch` counted from 0 and `lr` the current rate; it must
    return a float. With a `torch.optim` optimizer, `lr` is the first parameter group's and
    every group is scaled by the same factor. The rate in use is added to the epoch logs as `"learning_rate"`.

    Args:
        schedule: function `(epoch, lr) -> new_lr`.
        verbose: 0 (silent) or 1 (print the rate set at each epoch).

    Example:
    ```python
    def schedule(epoch, lr):
        return lr if epoch < 10 else lr * 0.9

    model.fit(x, y, epochs=15, callbacks=[keras.callbacks.LearningRateScheduler(schedule)])
    ```
    """

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        current = get_learning_rate(optimizer)  # a torch optimizer's first parameter group
        try:
            learning_rate = self.schedule(epoch, current)
        except TypeError:  # one-argument schedules, as older Keras allowed
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {learning_rate}")
        set_learning_rate(optimizer, learning_rate)  # every torch parameter group scaled alike
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {learning_rate}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        logs["learning_rate"] = get_learning_rate(self.model.optimizer)
