"""ModelCheckpoint: file names and best-only decisions match Keras's; path validation."""

from __future__ import annotations

import json
import os
import re
import sys

import numpy as np
import pytest
import torch

from torchkeras.callbacks import CallbackList, ModelCheckpoint

VAL_LOSSES = [0.9, 0.7, 0.8, 0.6, 0.65, 0.3]


def run_epochs(callback, model, values, batches=0):
    """Runs epochs (with `batches` batches each); logs carry `val_loss` and `loss` = value."""
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        for batch in range(batches):
            callback.on_train_batch_end(batch, {"loss": value + batch / 100})
        callback.on_epoch_end(epoch, {"loss": value, "val_loss": value})
    callback.on_train_end()


def saved_files(directory):
    return sorted(os.listdir(directory))


CASES = [
    ("{epoch:02d}-{val_loss:.2f}.keras", {}),
    ("{epoch:02d}-{val_loss:.2f}.keras", {"save_best_only": True}),
    ("best.keras", {"save_best_only": True, "verbose": 1}),
    ("{epoch:02d}.keras", {"save_best_only": True, "initial_value_threshold": 0.75}),
    ("{epoch:02d}.keras", {"save_best_only": True, "monitor": "val_loss", "mode": "max"}),
    ("{epoch:02d}.weights.h5", {"save_weights_only": True, "save_best_only": True}),
    ("{epoch:02d}.keras", {"verbose": 1}),
]


@pytest.mark.parametrize("template, kwargs", CASES, ids=[f"{t}-{sorted(k)}" for t, k in CASES])
def test_epoch_saves_match_keras(template, kwargs, keras, keras_model, fake_model, tmp_path, capsys):
    (tmp_path / "keras").mkdir()
    (tmp_path / "ours").mkdir()
    run_epochs(
        keras.callbacks.ModelCheckpoint(str(tmp_path / "keras" / template), **kwargs), keras_model, VAL_LOSSES
    )
    keras_out = capsys.readouterr().out.replace(str(tmp_path / "keras"), "DIR")
    callback = ModelCheckpoint(str(tmp_path / "ours" / template), **kwargs)
    run_epochs(callback, fake_model, VAL_LOSSES)
    assert saved_files(tmp_path / "ours") == saved_files(tmp_path / "keras")
    assert capsys.readouterr().out.replace(str(tmp_path / "ours"), "DIR") == keras_out
    kind = "weights" if kwargs.get("save_weights_only") else "model"
    assert {k for k, _ in fake_model.saved} == {kind}


@pytest.mark.parametrize("template", ["{epoch:02d}-{batch:02d}.keras", "{epoch}-{batch}-{loss:.2f}.keras"])
@pytest.mark.parametrize("save_freq", [1, 2, 4])
def test_batch_saves_match_keras(template, save_freq, keras, keras_model, fake_model, tmp_path):
    (tmp_path / "keras").mkdir()
    (tmp_path / "ours").mkdir()
    keras_callback = keras.callbacks.ModelCheckpoint(str(tmp_path / "keras" / template), save_freq=save_freq)
    run_epochs(keras_callback, keras_model, VAL_LOSSES[:2], batches=3)
    run_epochs(
        ModelCheckpoint(str(tmp_path / "ours" / template), save_freq=save_freq),
        fake_model,
        VAL_LOSSES[:2],
        batches=3,
    )
    assert saved_files(tmp_path / "ours") == saved_files(tmp_path / "keras")


def test_batch_saves_read_tensor_logs_themselves(fake_model, tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "{batch}-{loss:.3f}.keras"), save_freq=2)
    callbacks = CallbackList([callback], model=fake_model)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    for batch in range(4):
        callbacks.on_train_batch_end(batch, {"loss": torch.tensor(0.5 + batch)})
    assert saved_files(tmp_path) == ["2-1.500.keras", "4-3.500.keras"]


def test_saves_current_weights(fake_model, fill_weights, tmp_path):
    callback = ModelCheckpoint(
        str(tmp_path / "best.weights.safetensors"), save_weights_only=True, save_best_only=True
    )
    callback.set_model(fake_model)
    for epoch, value in enumerate(VAL_LOSSES):
        fill_weights(fake_model, epoch)
        callback.on_epoch_end(epoch, {"val_loss": value})
    assert json.loads((tmp_path / "best.weights.safetensors").read_text()) == {
        "kind": "weights",
        "weights": 5.0,
    }


def test_creates_missing_directories(fake_model, tmp_path):
    run_epochs(ModelCheckpoint(str(tmp_path / "a" / "b" / "{epoch}.safetensors")), fake_model, [0.5])
    assert saved_files(tmp_path / "a" / "b") == ["1.safetensors"]


def test_best_only_without_monitor_warns_and_saves(fake_model, tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "m.keras"), monitor="val_acc", mode="max", save_best_only=True)
    callback.set_model(fake_model)
    with pytest.warns(UserWarning, match="only with val_acc available"):
        callback.on_epoch_end(0, {"loss": 1.0})
    assert saved_files(tmp_path) == ["m.keras"]


def test_missing_format_key_raises(fake_model, tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.keras"))
    callback.set_model(fake_model)
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        callback.on_epoch_end(0, {"loss": 1.0})


def test_directory_filepath_raises(fake_model, tmp_path):
    (tmp_path / "dir.keras").mkdir()
    callback = ModelCheckpoint(str(tmp_path / "dir.keras"))
    callback.set_model(fake_model)
    with pytest.raises(OSError, match="non-directory filepath"):
        callback.on_epoch_end(0, {"val_loss": 1.0})


@pytest.mark.parametrize(
    "path, kwargs, match",
    [
        ("model.h5", {}, "`filepath` must end in one of"),
        ("model.weights.h5", {"save_weights_only": False, "save_freq": "batch"}, "save_freq"),
        ("model.keras", {"save_weights_only": True}, "with `save_weights_only=True` must end in"),
        ("model.safetensors", {"save_weights_only": True}, "must end in one of"),
        ("model.keras", {"save_freq": 1.5}, "`save_freq` must be 'epoch' or an integer"),
    ],
)
def test_invalid_arguments(path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ModelCheckpoint(path, **kwargs)


@pytest.mark.parametrize("path", ["m.keras", "m.safetensors"])
def test_accepted_model_paths(path):
    assert ModelCheckpoint(path).filepath == path


@pytest.mark.parametrize("path", ["m.weights.h5", "m.weights.safetensors"])
def test_accepted_weights_paths(path):
    assert ModelCheckpoint(path, save_weights_only=True).filepath == path


def _tiny_fit_model(library):
    model = library.Sequential([library.Input((3,)), library.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")


@pytest.mark.parametrize(
    "path, kwargs",
    [("m.keras", {}), ("w.weights.h5", {"save_weights_only": True}), ("{epoch}.keras", {})],
)
def test_h5_paths_without_h5py_fail_before_the_first_epoch(path, kwargs, tmp_path, monkeypatch):
    import torchkeras as tk

    monkeypatch.setitem(sys.modules, "h5py", None)  # `import h5py` now raises ImportError
    epochs = []
    record = tk.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs.append(epoch))
    checkpoint = ModelCheckpoint(str(tmp_path / path), **kwargs)
    with pytest.raises(ImportError, match=re.escape('pip install -e ".[h5]"')):
        _tiny_fit_model(tk).fit(*_data(), epochs=2, callbacks=[checkpoint, record], verbose=0)
    assert epochs == [] and os.listdir(tmp_path) == []


def test_wrapped_module_whole_model_checkpoint_fails_before_training(tmp_path):
    import torchkeras as tk

    model = tk.Model(torch.nn.Sequential(torch.nn.Linear(3, 1)))
    model.compile(optimizer="sgd", loss="mse")
    before = [w.detach().clone() for w in model.weights]
    checkpoint = ModelCheckpoint(str(tmp_path / "m.safetensors"))
    with pytest.raises(ValueError, match=r"save_weights\(\)`, .*`export\(\)`.*save_weights_only=True"):
        model.fit(*_data(), epochs=1, callbacks=[checkpoint], verbose=0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.weights)) and os.listdir(tmp_path) == []
    weights = ModelCheckpoint(str(tmp_path / "w.weights.safetensors"), save_weights_only=True)
    model.fit(*_data(), epochs=1, callbacks=[weights], verbose=0)
    assert os.listdir(tmp_path) == ["w.weights.safetensors"]


def test_destination_checked_before_the_first_epoch(tmp_path):
    import torchkeras as tk

    (tmp_path / "dir.safetensors").mkdir()
    with pytest.raises(OSError, match="non-directory filepath"):
        _tiny_fit_model(tk).fit(
            *_data(), epochs=1, callbacks=[ModelCheckpoint(str(tmp_path / "dir.safetensors"))], verbose=0
        )
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError, match="is not a folder"):
        _tiny_fit_model(tk).fit(
            *_data(),
            epochs=1,
            callbacks=[ModelCheckpoint(str(tmp_path / "file" / "m.safetensors"))],
            verbose=0,
        )
