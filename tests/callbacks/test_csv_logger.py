"""CSVLogger: byte-identical files to Keras's for the same epoch logs."""

from __future__ import annotations

import numpy as np
import pytest

from torchkeras.callbacks import CSVLogger

WITH_VAL = [
    {"loss": 0.5, "accuracy": 0.75, "val_loss": 0.6, "val_accuracy": 0.7},
    {"loss": 0.25, "accuracy": 0.875, "val_loss": 0.4, "val_accuracy": 0.8},
]
WITHOUT_VAL = [{"loss": 0.5, "mae": 0.125}, {"loss": 0.25, "mae": 0.0625}]
VAL_LATER = [{"loss": 0.5}, {"loss": 0.25, "val_loss": 0.3}]
ODD_VALUES = [{"loss": 0.5, "lrs": [0.1, 0.2], "arr": np.array([1, 2]), "scalar": np.array(3.0), "name": "x"}]


def run(callback, epochs_logs):
    callback.on_train_begin()
    for epoch, logs in enumerate(epochs_logs):
        callback.on_epoch_end(epoch, dict(logs))
    callback.on_train_end()


def write_both(keras, tmp_path, runs, **kwargs):
    """Writes the same runs with Keras's and our logger; returns both files' bytes."""
    contents = []
    for name, cls in (("keras.csv", keras.callbacks.CSVLogger), ("ours.csv", CSVLogger)):
        path = tmp_path / name
        for epochs_logs in runs:
            run(cls(str(path), **kwargs), epochs_logs)
        contents.append(path.read_bytes())
    return contents


@pytest.mark.parametrize(
    "runs, kwargs",
    [
        ([WITH_VAL], {}),
        ([WITHOUT_VAL], {}),
        ([VAL_LATER], {}),
        ([ODD_VALUES], {}),
        ([WITH_VAL], {"separator": ";"}),
        ([WITH_VAL, WITH_VAL], {"append": True}),
        ([WITH_VAL, WITHOUT_VAL], {"append": False}),
    ],
    ids=["with_val", "without_val", "val_later", "odd_values", "separator", "append", "overwrite"],
)
def test_matches_keras(runs, kwargs, keras, tmp_path):
    keras_bytes, our_bytes = write_both(keras, tmp_path, runs, **kwargs)
    assert our_bytes == keras_bytes


def test_content(tmp_path):
    path = tmp_path / "log.csv"
    run(CSVLogger(path), WITHOUT_VAL)
    lines = path.read_text().splitlines()
    assert lines == ["epoch,loss,mae,val_loss,val_mae", "0,0.5,0.125,NA,NA", "1,0.25,0.0625,NA,NA"]


def test_append_writes_header_once(tmp_path):
    path = tmp_path / "log.csv"
    run(CSVLogger(path, append=True), WITHOUT_VAL)
    run(CSVLogger(path, append=True), WITHOUT_VAL)
    lines = path.read_text().splitlines()
    assert lines.count("epoch,loss,mae,val_loss,val_mae") == 1 and len(lines) == 5
