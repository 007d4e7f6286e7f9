"""`MonitorCallback`: shared logic of callbacks that watch one metric for improvement."""

from __future__ import annotations

import operator
import warnings
from collections.abc import Iterator
from typing import Any

from torchkeras.callbacks.callback import Callback

__all__ = ["MonitorCallback"]

_MODES = ("auto", "min", "max")


class MonitorCallback(Callback):
    """Base of `EarlyStopping`, `ReduceLROnPlateau` and `ModelCheckpoint`.

    It picks the comparison from `mode` and decides whether a value improves on
    a reference by at least `min_delta`.

    Args:
        monitor: name of the quantity to watch in the epoch logs.
        mode: `"min"`, `"max"`, or `"auto"`: `"loss"`/`"val_loss"` are
            minimized; other names take the direction of the model's metric of
            that name (its `_direction`, `"up"` or `"down"`). An unknown mode
            warns and falls back to `"auto"`.
        baseline: initial best value, or `None` to take the first value seen.
        min_delta: smallest absolute change that counts as an improvement.

    Raises:
        ValueError: in `"auto"` mode, when the direction cannot be inferred.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        baseline: float | None = None,
        min_delta: float = 0,
    ) -> None:
        super().__init__()
        if mode not in _MODES:
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                stacklevel=2,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self) -> None:
        """Chooses `operator.lt` or `operator.gt`; `min_delta` turns negative when minimizing."""
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            if name == "loss":
                self.monitor_op = operator.lt
            for metric in _model_metrics(self.model):
                direction = getattr(metric, "_direction", None)
                if getattr(metric, "name", None) == name and direction is not None:
                    self.monitor_op = operator.gt if direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but torchkeras "
                    "isn't able to automatically determine whether that metric should be maximized "
                    "or minimized. Pass `mode='max'` in order to monitor based on the highest metric "
                    "value, or pass `mode='min'` in order to use the lowest value."
                )
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value: float, reference_value: float | None) -> bool:
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


def _model_metrics(model: Any) -> Iterator[Any]:
    """Yields the model's metrics, looking one level into containers that hold a `metrics` list."""
    for metric in getattr(model, "metrics", None) or ():
        yield metric
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            yield from inner
