"""`ProgbarLogger`: prints progress and metrics to stdout in Keras's format, never cut.

`13/13 ━━━━━━━━━━━━━━━━━━━━ 0s 32ms/step - accuracy: 0.9000 - loss: 0.1234 - val_loss: 0.2345`
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import Any

from torchkeras.callbacks.callback import Callback
from torchkeras.callbacks.logs import format_log_value, pythonify_logs

__all__ = ["ProgbarLogger"]

_REDRAW_INTERVAL = 0.1  # seconds between two redraws of a live bar (logs are read only then)
_BAR_WIDTH = 20
_DONE, _TODO, _RESET = "\x1b[32m", "\x1b[37m", "\x1b[0m"  # the bar's colors on a live display


def _dynamic_display() -> bool:
    """Whether stdout redraws a line in place: a terminal or a notebook (not a pipe or a file)."""
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty is not None and isatty()) or "ipykernel" in sys.modules


def _terminal_width() -> int | None:
    """The terminal's width in columns, or None where there is no terminal size (a notebook)."""
    isatty = getattr(sys.stdout, "isatty", None)
    if isatty is None or not isatty():
        return None
    return shutil.get_terminal_size(fallback=(0, 0)).columns or None


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
        self._called_in_fit = False
        self._running = False
        self._start = 0.0
        self._first_step_end: float | None = None
        self._last_draw = 0.0
        self._drawn_width = 0  # visible width of the live line on screen (0: none)
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

    # One line: begin, steps, finish.
    def _begin(self) -> None:
        self.seen = 0
        self._running = True
        self._start = self._last_draw = time.monotonic()
        self._first_step_end = None
        self._drawn_width = 0
        self._keys = {}
        if self.verbose == 1 and _dynamic_display():
            self._draw(self._line(None, final=False), final=False)

    def _step(self, batch: int, logs: dict | None) -> None:
        if not self._running:
            self._begin()
        self.seen = batch + 1
        if self._first_step_end is None:
            self._first_step_end = time.monotonic()
        if self.verbose != 1 or not _dynamic_display():
            return
        now = time.monotonic()
        if now - self._last_draw >= _REDRAW_INTERVAL:
            self._last_draw = now
            self._draw(self._line(logs, final=False), final=False)

    def _finish(self, logs: dict | None) -> None:
        if not self._running:
            self._begin()
        self._running = False
        if self.target is None:
            self.target = self.seen  # as Keras: the final line and later epochs use the count found
        if self.verbose == 1:
            self._draw(self._line(logs, final=True), final=True)
        elif self.verbose == 2 and self.target:
            elapsed = time.monotonic() - self._start
            steps = f"{self.seen:{len(str(self.target))}d}/{self.target}"
            per_step = _format_time_per_step(self._time_per_step())
            print(f"{steps} - {elapsed:.0f}s - {per_step}{self._metrics_text(logs)}", flush=True)

    def _line(self, logs: dict | None, final: bool) -> tuple[str, str, str]:
        """Keras's line as (progress with the bar, the bar in color, times and metrics)."""
        if self.target:
            count = f"{self.seen:{len(str(self.target))}d}/{self.target}"
            done = min(_BAR_WIDTH, _BAR_WIDTH * self.seen // self.target)
            plain_bar = "━" * _BAR_WIDTH
            colored_bar = f"{_DONE}{'━' * done}{_TODO}{'━' * (_BAR_WIDTH - done)}{_RESET}"
            progress, colored = f"{count} {plain_bar}", f"{count} {colored_bar}"
        else:
            progress = colored = f"{self.seen:7d}/Unknown"
        elapsed = time.monotonic() - self._start
        if final or not self.target:
            clock = f"{elapsed:.0f}s"
        else:
            clock = _format_eta(self._time_per_step() * (self.target - self.seen))
        rest = f" {clock} {_format_time_per_step(self._time_per_step())}"
        rest += self._metrics_text(logs) if logs is not None or final else ""
        return progress, colored, rest

    def _draw(self, line: tuple[str, str, str], final: bool) -> None:
        """Writes a live line in place (cut to the terminal), or the final line in full."""
        progress, colored, rest = line
        dynamic = _dynamic_display()
        if not dynamic:
            if final:
                print(progress + rest, flush=True)
            return
        text = progress + rest
        width = _terminal_width()
        if not final and width is not None and len(text) > width - 1:
            rest = rest[: max(0, width - 1 - len(progress))]
            text = progress + rest
        padding = " " * max(0, self._drawn_width - len(text))
        end = "\n" if final else ""
        sys.stdout.write(f"\r{colored}{rest}{padding}{end}")
        sys.stdout.flush()
        self._drawn_width = 0 if final else len(text)

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


def _format_eta(seconds: float) -> str:
    """Keras's remaining-time field: `7s`, `1:05` or `1:00:05` (whole seconds, truncated)."""
    seconds = int(seconds)
    if seconds > 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds > 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def _format_time_per_step(seconds: float) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"
