"""`Progbar`: Keras's progress line, the one progress mechanism (`ProgbarLogger` draws with it).

`13/13 ━━━━━━━━━━━━━━━━━━━━ 0s 32ms/step - accuracy: 0.9000 - loss: 0.1234`

Values passed to `update` may be device tensors: they are kept as given (averaged values are
summed as tensors) and read on the host only when the line is drawn, with one sync for all.
On a terminal or in a notebook the line redraws in place at most every `interval` seconds and
is cut to the terminal's width while live; the final line is always printed in full. Piped or
redirected output gets only the final line. With interactive logging disabled the lines go to
the `torchkeras` logger instead of stdout.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any

from torchkeras.utils.host_values import format_log_value, pythonify_logs

__all__ = [
    "Progbar",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "is_interactive_logging_enabled",
    "print_msg",
]

_DONE, _TODO, _RESET = "\x1b[32m", "\x1b[37m", "\x1b[0m"  # the bar's colors on a live display
_INTERACTIVE = {"enabled": True}


def enable_interactive_logging() -> None:
    """Progress and messages go to stdout (the default)."""
    _INTERACTIVE["enabled"] = True


def disable_interactive_logging() -> None:
    """Progress and messages go to the `torchkeras` Python logger (INFO) instead of stdout;
    progress bars then log only their final line."""
    _INTERACTIVE["enabled"] = False


def is_interactive_logging_enabled() -> bool:
    """Whether progress and messages are written to stdout."""
    return _INTERACTIVE["enabled"]


def print_msg(message: str, line_break: bool = True) -> None:
    """Writes `message` to stdout, or logs it when interactive logging is disabled."""
    if _INTERACTIVE["enabled"]:
        sys.stdout.write(message + ("\n" if line_break else ""))
        sys.stdout.flush()
    else:
        logging.getLogger("torchkeras").info(message.strip("\r\n"))


def _dynamic_display() -> bool:
    """Whether stdout redraws a line in place: a terminal or a notebook (not a pipe or a file)."""
    if not _INTERACTIVE["enabled"]:
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty is not None and isatty()) or "ipykernel" in sys.modules


def _terminal_width() -> int | None:
    """The terminal's width in columns, or None where there is no terminal size (a notebook)."""
    isatty = getattr(sys.stdout, "isatty", None)
    if isatty is None or not isatty():
        return None
    return shutil.get_terminal_size(fallback=(0, 0)).columns or None


class Progbar:
    """Displays a progress bar.

    Args:
        target: total number of steps expected, or `None` if unknown.
        width: the bar's width in characters.
        verbose: 0 (silent), 1 (a live bar) or 2 (one line when finished).
        interval: smallest time between two redraws, in seconds.
        stateful_metrics: names of values shown as given; the others are averaged over the
            steps (weighted by the steps each update covers).
        stateless_metrics: names of values to average; the others are shown as given (pass
            one of the two lists, not both).
        unit_name: the name of a step in the time per step (`"step"`, `"sample"`).

    Example:
    ```python
    bar = keras.utils.Progbar(target=100)
    for step in range(100):
        bar.update(step + 1, values=[("loss", loss_value)])
    ```
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        stateless_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Pass only one of `stateful_metrics` and `stateless_metrics`.")
        if target is not None and (not isinstance(target, int) or target < 0):
            raise ValueError(
                f"Argument `target` must be a non-negative integer or None. Received: {target!r}"
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = None if stateless_metrics is not None else set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._values: dict[str, list[Any]] = {}  # name -> [value or weighted sum, count]
        self._seen_so_far = 0
        self._start = time.monotonic()
        self._first_step_end: float | None = None
        self._last_draw: float | None = None
        self._drawn_width = 0  # visible width of the live line on screen (0: none)
        self._latest: Mapping | None = None  # the last dict of values shown as given, not read yet

    def _take_latest(self) -> None:
        """Reads the kept dict of values shown as given into the values to show."""
        latest, self._latest = self._latest, None
        for key, value in _pairs(latest):
            self._values[key] = [value, 1]

    def update(self, current: int, values: Any = None, finalize: bool | None = None) -> None:
        """Moves the bar to step `current`.

        Args:
            current: the index of the current step (steps done so far).
            values: `(name, value)` pairs (or a dict) for the last step; tensors are read only
                when the line is drawn, and with nothing to average (`stateless_metrics=()`) a
                dict's values too (logs that compute their values when read cost nothing until then).
            finalize: whether this is the last update; by default `current >= target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if isinstance(values, Mapping) and self.stateless_metrics is not None and not self.stateless_metrics:
            self._latest = values  # all shown as given: read when the line is drawn
            values = None
        elif values is not None:
            self._take_latest()
        for key, value in _pairs(values):
            if self._averaged(key):
                if finalize:
                    self._values[key] = [value, 1]
                else:
                    base = max(current - self._seen_so_far, 1)
                    if key in self._values:
                        entry = self._values[key]
                        entry[0], entry[1] = entry[0] + value * base, entry[1] + base
                    else:
                        self._values[key] = [value * base, base]
            else:
                self._values[key] = [value, 1]
        if current > 0 and self._first_step_end is None:
            self._first_step_end = time.monotonic()
        self._seen_so_far = current
        if self.verbose == 1:
            self._update_line(finalize)
        elif self.verbose == 2 and finalize and self.target:
            elapsed = time.monotonic() - self._start
            steps = f"{current:{len(str(self.target))}d}/{self.target}"
            per_step = _format_time_per_unit(self._time_per_step(), self.unit_name)
            print_msg(f"{steps} - {elapsed:.0f}s - {per_step}{self._metrics_text()}")

    def add(self, n: int, values: Any = None) -> None:
        """Advances the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    def _averaged(self, key: str) -> bool:
        if self.stateful_metrics is not None:
            return key not in self.stateful_metrics
        return key in self.stateless_metrics

    def _update_line(self, finalize: bool) -> None:
        if not finalize:
            if not _dynamic_display():
                return
            now = time.monotonic()
            if self._last_draw is not None and now - self._last_draw < self.interval:
                return
            self._last_draw = now
        self._draw(self._line(finalize), finalize)

    def _line(self, final: bool) -> tuple[str, str, str]:
        """Keras's line as (progress with the plain bar, the same in color, times and metrics)."""
        current = self._seen_so_far
        if self.target:
            count = f"{current:{len(str(self.target))}d}/{self.target}"
            done = min(self.width, self.width * current // self.target)
            plain_bar = "━" * self.width
            colored_bar = f"{_DONE}{'━' * done}{_TODO}{'━' * (self.width - done)}{_RESET}"
            progress, colored = f"{count} {plain_bar}", f"{count} {colored_bar}"
        else:
            progress = colored = f"{current:7d}/Unknown"
        elapsed = time.monotonic() - self._start
        if final or not self.target:
            clock = f"{elapsed:.0f}s"
        else:
            clock = _format_eta(self._time_per_step() * (self.target - current))
        rest = f" {clock} {_format_time_per_unit(self._time_per_step(), self.unit_name)}"
        return progress, colored, rest + self._metrics_text()

    def _draw(self, line: tuple[str, str, str], final: bool) -> None:
        """Writes a live line in place (cut to the terminal), or the final line in full."""
        progress, colored, rest = line
        if not _dynamic_display():
            if final:
                print_msg(progress + rest)
            return
        text = progress + rest
        width = _terminal_width()
        if not final and width is not None and len(text) > width - 1:
            rest = rest[: max(0, width - 1 - len(progress))]
            text = progress + rest
        padding = " " * max(0, self._drawn_width - len(text))
        print_msg(f"\r{colored}{rest}{padding}", line_break=final)
        self._drawn_width = 0 if final else len(text)

    def _metrics_text(self) -> str:
        """`" - loss: 0.1234 - accuracy: 0.9000"`, reading every tensor value with one host sync."""
        self._take_latest()
        if not self._values:
            return ""
        values = pythonify_logs({key: entry[0] for key, entry in self._values.items()})
        parts = []
        for key, (_, count) in self._values.items():
            value = values.get(key)
            if hasattr(value, "mean") and not isinstance(value, (float, int)):
                value = float(value.mean())  # arrays show their mean, as in Keras
            if isinstance(value, (float, int)) and count != 1:
                value = value / count
            parts.append(f" - {key}: {format_log_value(value)}")
        return "".join(parts)

    def _time_per_step(self) -> float:
        """Seconds per step, leaving out the first (warm-up) step when there are more."""
        now = time.monotonic()
        seen = self._seen_so_far
        if seen > 1 and self._first_step_end is not None:
            return (now - self._first_step_end) / (seen - 1)
        return (now - self._start) / max(seen, 1)


def _pairs(values: Any) -> list[tuple[str, Any]]:
    """`(name, value)` pairs from a list of pairs or a (nested) dict, dicts flattened in key order."""
    if values is None:
        return []
    if isinstance(values, Mapping):
        pairs: list[tuple[str, Any]] = []
        for key, value in sorted(values.items()):
            pairs.extend(_pairs(value) if isinstance(value, Mapping) else [(key, value)])
        return pairs
    return [(key, value) for key, value in values]


def _format_eta(seconds: float) -> str:
    """Keras's remaining-time field: `7s`, `1:05` or `1:00:05` (whole seconds, truncated)."""
    seconds = int(seconds)
    if seconds > 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds > 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def _format_time_per_unit(seconds: float, unit_name: str = "step") -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"
