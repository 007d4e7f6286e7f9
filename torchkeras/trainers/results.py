"""What steps report: `MetricResults` (the logs, each result computed only when read) and
`LossTracker` (the `"loss"` mean, summed only when read)."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import torch

from torchkeras import metrics
from torchkeras.metrics.metric import follows_inputs
from torchkeras.trainers.compile_utils import CompileMetrics

__all__ = ["LossTracker", "MetricResults", "metrics_by_name"]

# How many steps' losses a `LossTracker` keeps before summing them (bounds its memory).
_MAX_PENDING = 1024


class LossTracker(metrics.Mean):
    """The mean loss of `fit` / `evaluate`: a `Mean` that keeps each step's scalar loss and batch
    size as they come and sums them (two tensor ops) only when its state is read, so a step adds
    no tensor op for it. Inside a compiled step it updates directly, as a `Mean` does.

    Args:
        name: the name in the logs.
    """

    def __init__(self, name: str = "loss"):
        super().__init__(name=name)
        self._pending: list[torch.Tensor] = []
        self._pending_sizes: list[int] = []

    @follows_inputs  # the state moves with the kept losses, or in `Mean`'s update
    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        if (
            type(sample_weight) is int
            and isinstance(values, torch.Tensor)
            and values.dim() == 0
            and values.dtype == self._torch_dtype
            and not torch.compiler.is_compiling()
        ):
            if values.requires_grad:  # a training loss: kept without its graph
                values = values.detach()
            if values.device != self._device:  # moved now: compiled steps add there
                self._follow(values.device)
            self._pending.append(values)
            self._pending_sizes.append(sample_weight)
            if len(self._pending) >= _MAX_PENDING:
                self._flush()
            return
        if not torch.compiler.is_compiling():  # a compiled step leaves the kept losses alone
            self._flush()
        super().update_state(values, sample_weight=sample_weight)

    def _flush(self) -> None:
        """Adds the kept losses, weighted by their batch sizes, to the state."""
        if not self._pending:
            return
        values = torch.stack(self._pending)
        sizes = torch.tensor(self._pending_sizes, dtype=values.dtype, device=values.device)
        count = sum(self._pending_sizes)
        self._pending, self._pending_sizes = [], []
        if values.device != self._device:
            self._follow(values.device)
        self.total.add_(torch.dot(values, sizes))
        self._add_count(count)

    def result(self) -> torch.Tensor:
        self._flush()
        return super().result()

    def reset_state(self) -> None:
        self._pending, self._pending_sizes = [], []
        super().reset_state()

    def to(self, device: torch.device | str) -> LossTracker:
        self._flush()  # the kept losses, where the state is now
        return super().to(device)

    @property
    def variables(self) -> list[Any]:
        self._flush()
        return super().variables


def metrics_by_name(metrics: list[Any]) -> dict[str, Any]:
    """`{name: metric}` with the compiled metrics' container expanded into its metrics."""
    return {
        metric.name: metric
        for entry in metrics
        for metric in (entry.metrics if isinstance(entry, CompileMetrics) else [entry])
    }


class MetricResults(MutableMapping):
    """A dict-like view `{metric name: metric.result()}` that calls `result()` on first read.

    Steps return logs every batch, but they are read only when a progress bar redraws or a
    callback asks; computing results lazily keeps those reads (and their tensor ops) off the
    steps that nobody looks at. Entries can be set and deleted like in a dict.

    Args:
        metrics: the metrics to report, in order (or already as `metrics_by_name` gives them).
    """

    def __init__(self, metrics: list[Any] | dict[str, Any]):
        # A container of metrics (the compiled metrics) reports each of its metrics, as in Keras.
        self._metrics = dict(metrics) if isinstance(metrics, dict) else metrics_by_name(metrics)
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
