"""A save that dies midway (exception, full disk, Ctrl-C) leaves the previous file intact."""

import errno
import os

import numpy as np
import pytest

import torchkeras as tk
from torchkeras.callbacks import ModelCheckpoint

FORMATS = ["m.keras", "m.safetensors", "w.weights.safetensors", "w.weights.h5"]


def _model(seed):
    tk.config.set_random_seed(seed)
    model = tk.Sequential([tk.Input((3,)), tk.layers.Dense(4), tk.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _save(model, path):
    if path.name.startswith("w."):
        model.save_weights(path)
    else:
        model.save(path)


def _assert_holds(path, model):
    fresh = _model(99)
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert sorted(os.listdir(path.parent)) == [path.name]


class _FailingFile:
    """Wraps the temp file of the atomic writer: fails once `limit` bytes are written."""

    def __init__(self, file, error, limit):
        self.file, self.error, self.limit, self.written = file, error, limit, 0

    def write(self, data):
        self.written += len(memoryview(data).cast("B"))
        if self.written > self.limit:
            raise self.error
        return self.file.write(data)

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return self.file.__exit__(*exc_info)


@pytest.mark.parametrize(
    "error",
    [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt(), RuntimeError("killed")],
    ids=["full_disk", "ctrl_c", "exception"],
)
@pytest.mark.parametrize("name", FORMATS)
def test_interrupted_write_keeps_previous_file(name, error, tmp_path, monkeypatch):
    if "h5" in name or name.endswith(".keras"):
        pytest.importorskip("h5py")
    old, new = _model(1), _model(2)
    path = tmp_path / name
    _save(old, path)
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: _FailingFile(real_fdopen(fd, mode), error, limit=64))
    with pytest.raises(type(error)):
        _save(new, path)
    monkeypatch.undo()
    _assert_holds(path, old)


@pytest.mark.parametrize("name", FORMATS)
def test_failure_while_serializing_keeps_previous_file(name, tmp_path, monkeypatch):
    if "h5" in name or name.endswith(".keras"):
        pytest.importorskip("h5py")
    old, new = _model(1), _model(2)
    path = tmp_path / name
    _save(old, path)

    def interrupted(self):
        raise KeyboardInterrupt  # Ctrl-C while the weights are being gathered

    monkeypatch.setattr(tk.layers.Dense, "_own_variables", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _save(new, path)
    monkeypatch.undo()
    _assert_holds(path, old)


def test_model_checkpoint_writes_atomically(tmp_path, monkeypatch):
    x, y = np.random.rand(8, 3).astype("float32"), np.random.rand(8, 1).astype("float32")
    model = _model(1)
    path = tmp_path / "best.weights.safetensors"
    checkpoint = ModelCheckpoint(str(path), save_weights_only=True)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])
    saved = [w.copy() for w in model.get_weights()]
    real_fdopen = os.fdopen
    monkeypatch.setattr(
        os, "fdopen", lambda fd, mode: _FailingFile(real_fdopen(fd, mode), KeyboardInterrupt(), 10)
    )
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])
    monkeypatch.undo()
    fresh = _model(5)
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), saved):
        np.testing.assert_array_equal(a, b)
    assert os.listdir(tmp_path) == ["best.weights.safetensors"]
