"""`MetricResults`: the logs a step returns, computing each metric's result only when read."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from torchkeras.trainers.compile_utils import CompileMetrics

__all__ = ["MetricResults"]


class MetricResults(MutableMapping):
    """A dict-like view `{metric name: metric.result()}` that calls `result()` on first read.

    Steps return logs every batch, but they are read only when a progress bar redraws or a
    callback asks; computing results lazily keeps those reads (and their tensor ops) off the
    steps that nobody looks at. Entries can be set and deleted like in a dict.

    Args:
        metrics: the metrics to report, in order.
    """

    def __init__(self, metrics: list[Any]):
        # A container of metrics (the compiled metrics) reports each of its metrics, as in Keras.
        self._metrics = {
            metric.name: metric
            for entry in metrics
            for metric in (entry.metrics if isinstance(entry, CompileMetrics) else [entry])
        }
        self._values: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            # KeyError for unknown names, as a dict; a dict result is flattened by the reader.
            self._values[name] = self._metrics[name].result()
        return self._values[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self._values[name] = value

    def __delitem__(self, name: str) -> None:
        found = self._metrics.pop(name, None) is not None
        found = self._values.pop(name, None) is not None or found
        if not found:
            raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        yield from self._metrics
        yield from (name for name in self._values if name not in self._metrics)

    def __len__(self) -> int:
        return len(self._metrics) + sum(1 for name in self._values if name not in self._metrics)

    def __repr__(self) -> str:
        return f"MetricResults({dict(self)!r})"
