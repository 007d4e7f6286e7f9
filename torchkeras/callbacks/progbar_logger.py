"""`ProgbarLogger`: prints progress and metrics to stdout in Keras's format, never cut.

`13/13 ━━━━━━━━━━━━━━━━━━━━ 0s 32ms/step - accuracy: 0.9000 - loss: 0.1234 - val_loss: 0.2345`

The line itself is `keras.utils.Progbar`'s; this callback decides when a line begins, moves and
ends during `fit`, `evaluate` and `predict`.
"""

from __future__ import annotations

from typing import Any

from torchkeras.callbacks.callback import Callback
from torchkeras.utils.progbar import Progbar, print_msg

__all__ = ["ProgbarLogger"]

_REDRAW_INTERVAL = 0.1  # seconds between two redraws of a live bar (logs are read only then)


class ProgbarLogger(Callback):
    """Prints progress and metrics of `fit`, `evaluate` and `predict` to stdout.

    It follows `params["verbose"]`: 0 prints nothing; 1 prints Keras's progress line per epoch
    (with an `Epoch i/n` header when there are several epochs); 2 prints one line per epoch:
    `steps - time - time/step - metrics`. Validation inside `fit` is silent; its `val_*`
    metrics appear on the epoch's last line. An unknown number of steps
    (`params["steps"] = None`) shows as `n/Unknown`, and later epochs use the count found.

    With verbose 1 on a terminal or in a notebook the line redraws in place at most every
    0.1 s, reading metric values only when it draws; a live line is cut to the terminal's
    width so it can redraw, but the epoch's final line is always printed in full (a terminal
    wraps it). Piped or redirected output gets only the final line of each epoch. No metric
    is ever left out.

    `fit`, `evaluate` and `predict` add one automatically.
    """

    _handles_tensor_logs = True

    def __init__(self) -> None:
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target: int | None = None
        self.seen = 0
        self.progbar: Progbar | None = None
        self._called_in_fit = False

    def set_params(self, params: dict[str, Any] | None) -> None:
        super().set_params(params)
        params = params or {}
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    # fit
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._called_in_fit = True  # validation inside `fit` stays silent

    def on_train_end(self, logs: dict | None = None) -> None:
        self._called_in_fit = False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")
        self._begin()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._step(batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._finish(logs)

    # evaluate
    def on_test_begin(self, logs: dict | None = None) -> None:
        if not self._called_in_fit:
            self._begin()

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._called_in_fit:
            self._step(batch, logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        if not self._called_in_fit:
            self._finish(logs)

    # predict (outputs are not shown)
    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._begin()

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._step(batch, None)

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._finish(None)

    # One line: begin, steps, finish. Logs are already averaged by the metrics: shown as given.
    def _begin(self) -> None:
        self.seen = 0
        self.progbar = Progbar(
            self.target, verbose=self.verbose, interval=_REDRAW_INTERVAL, stateless_metrics=()
        )
        if self.verbose == 1:
            self.progbar.update(0, finalize=False)

    def _step(self, batch: int, logs: dict | None) -> None:
        if self.progbar is None:
            self._begin()
        self.seen = batch + 1
        self.progbar.update(self.seen, logs, finalize=False)

    def _finish(self, logs: dict | None) -> None:
        if self.progbar is None:
            self._begin()
        if self.target is None:
            self.target = self.seen  # as Keras: the final line and later epochs use the count found
        progbar, self.progbar = self.progbar, None
        progbar.target = self.target
        progbar.update(self.seen, logs, finalize=True)
