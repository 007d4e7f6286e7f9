"""`CSVLogger`: streams each epoch's logs to a CSV file."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from typing import IO, Any

import numpy as np

from torchkeras.callbacks.callback import Callback

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Writes one CSV row per epoch: `epoch`, then the log keys in sorted order.

    The columns are fixed by the first epoch's logs; when those hold no `val_*`
    key, matching `val_*` columns are added anyway (filled with `NA` until
    validation runs). Sequence values are written as `"[a, b]"`.

    Args:
        filename: path of the CSV file, e.g. `"run/log.csv"`.
        separator: string separating the fields.
        append: whether to append to an existing file (no second header) instead
            of overwriting it.

    Example:
    ```python
    model.fit(x, y, callbacks=[keras.callbacks.CSVLogger("training.log")])
    ```
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: csv.DictWriter | None = None
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: IO[str] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as existing:
                    self.append_header = not existing.readline()
            mode = "a"
        else:
            mode = "w"
        self._close()
        self.csv_file = open(self.filename, mode, newline="")  # noqa: SIM115 (closed in on_train_end)
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            dialect = type("CSVLoggerDialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys], dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close()
        self.writer = None

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()


def _cell(value: Any) -> Any:
    """Strings and scalars as they are; sequences as `"[a, b]"`."""
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value
