"""`ProgbarLogger`: prints progress and metrics to stdout (a tqdm bar, or one line per epoch)."""

from __future__ import annotations

import sys
import time
from typing import Any

from tqdm import tqdm

from torchkeras.callbacks.callback import Callback
from torchkeras.callbacks.logs import format_log_value, pythonify_logs

__all__ = ["ProgbarLogger"]

_REDRAW_INTERVAL = 0.1  # seconds between two redraws of a live bar (logs are read only then)
_BAR_FORMAT = "{n_fmt}/{total_fmt} {bar:20} {elapsed}<{remaining} {rate_fmt}{metrics}"
_UNKNOWN_TOTAL_FORMAT = "{n_fmt}/Unknown {elapsed} {rate_fmt}{metrics}"


class _Bar(tqdm):
    """A tqdm bar with a `{metrics}` field (" - loss: 0.1234 - accuracy: 0.9000")."""

    metrics = ""

    @property
    def format_dict(self) -> dict[str, Any]:
        return {**super().format_dict, "metrics": self.metrics}


class ProgbarLogger(Callback):
    """Prints progress and metrics of `fit`, `evaluate` and `predict` to stdout.

    It follows `params["verbose"]`: 0 prints nothing; 1 shows a live tqdm bar per
    epoch (with an `Epoch i/n` header when there are several epochs) that redraws
    at most every 0.1 s, reading the metric values only when it draws; 2 prints
    one line per epoch: `steps - time - time/step - metrics`. Validation inside
    `fit` is silent; its `val_*` metrics appear on the epoch's last line. An
    unknown number of steps (`params["steps"] = None`) is supported.

    `fit`, `evaluate` and `predict` add one automatically.
    """

    _handles_tensor_logs = True

    def __init__(self) -> None:
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target: int | None = None
        self.seen = 0
        self._called_in_fit = False
        self._bar: _Bar | None = None
        self._running = False
        self._start = 0.0
        self._first_step_end: float | None = None
        self._last_draw = 0.0
        self._keys: dict[str, None] = {}  # metric names, in order of first appearance

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
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)
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

    # One bar: begin, steps, finish.
    def _begin(self) -> None:
        self._close_bar()
        self.seen = 0
        self._running = True
        self._start = self._last_draw = time.monotonic()
        self._first_step_end = None
        self._keys = {}
        if self.verbose == 1:
            self._bar = _Bar(
                total=self.target,
                file=sys.stdout,
                unit="step",
                bar_format=_BAR_FORMAT if self.target else _UNKNOWN_TOTAL_FORMAT,
                mininterval=0,
                miniters=1,
                dynamic_ncols=False,
                leave=True,
            )

    def _step(self, batch: int, logs: dict | None) -> None:
        if not self._running:
            self._begin()
        self.seen = batch + 1
        if self.verbose != 1:
            if self._first_step_end is None:
                self._first_step_end = time.monotonic()
            return
        now = time.monotonic()
        if now - self._last_draw >= _REDRAW_INTERVAL:
            self._last_draw = now
            self._bar.metrics = self._metrics_text(logs)
            self._bar.update(self.seen - self._bar.n)  # draws

    def _finish(self, logs: dict | None) -> None:
        if not self._running:
            self._begin()
        self._running = False
        if self.target is None:
            self.target = self.seen  # later epochs then know their length
        if self.verbose == 1:
            self._bar.total = self.target
            self._bar.n = self.target
            self._bar.metrics = self._metrics_text(logs)
            self._close_bar()  # final draw, then a newline
        elif self.verbose == 2 and self.target:
            elapsed = time.monotonic() - self._start
            steps = f"{self.seen:{len(str(self.target))}d}/{self.target}"
            per_step = _format_time_per_step(self._time_per_step())
            print(f"{steps} - {elapsed:.0f}s - {per_step}{self._metrics_text(logs)}", flush=True)

    def _metrics_text(self, logs: dict | None) -> str:
        """`" - loss: 0.1234 - accuracy: 0.9000"`, reading tensor values with one host sync."""
        values = pythonify_logs(logs)
        self._keys.update(dict.fromkeys(values))
        return "".join(f" - {key}: {format_log_value(values[key])}" for key in self._keys if key in values)

    def _time_per_step(self) -> float:
        """Seconds per step, leaving out the first (warm-up) step when there are more."""
        now = time.monotonic()
        if self.seen > 1 and self._first_step_end is not None:
            return (now - self._first_step_end) / (self.seen - 1)
        return (now - self._start) / max(self.seen, 1)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _format_time_per_step(seconds: float) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"
