"""`History`: records every epoch's logs; `fit` returns it."""

from __future__ import annotations

from torchkeras.callbacks.callback import Callback

__all__ = ["History"]


class History(Callback):
    """Records the epoch logs of `fit` into `history`, a dict of per-epoch lists.

    `fit` adds one automatically and returns it (it is also `model.history`).

    Attributes:
        history: dict mapping each log key (`"loss"`, `"val_loss"`, ...) to the
            list of its values, one per epoch.
        epoch: list of the epoch indices recorded in the last `fit`.

    Example:
    ```python
    history = model.fit(x, y, epochs=3, verbose=0)
    history.history["loss"]  # [0.9, 0.5, 0.3]
    ```
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self
