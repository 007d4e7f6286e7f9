"""ReduceLROnPlateau: learning-rate decisions match Keras's on the same epoch logs."""

from __future__ import annotations

import pytest

from torchkeras.callbacks import ReduceLROnPlateau

LOSSES = [1.0, 0.99995, 0.9, 0.91, 0.92, 0.93, 0.94, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86]
ACCURACIES = [0.5, 0.6, 0.6, 0.59, 0.58, 0.7, 0.69, 0.69, 0.69, 0.69]

CONFIGS = [
    {"patience": 2, "factor": 0.5},
    {"patience": 1, "cooldown": 2},
    {"patience": 1, "factor": 0.5, "min_lr": 0.003},
    {"patience": 1, "factor": 0.1, "min_lr": 0.0001},  # floors at a float32-rounded min_lr
    {"patience": 2, "min_delta": 0.1},
    {"patience": 0},
    {"monitor": "val_accuracy", "mode": "max", "patience": 1, "factor": 0.5},
    {"monitor": "loss", "patience": 1, "factor": 0.2, "verbose": 1},
]


def run(callback, model, values):
    """Feeds one value per epoch; returns (lr, logged lr, wait, cooldown counter, best) per epoch."""
    callback.set_model(model)
    callback.on_train_begin()
    trace = []
    for epoch, value in enumerate(values):
        logs = {"loss": value, "val_loss": value, "val_accuracy": value}
        callback.on_epoch_end(epoch, logs)
        lr = float(model.optimizer.learning_rate)
        trace.append((lr, logs["learning_rate"], callback.wait, callback.cooldown_counter, callback.best))
    return trace


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_matches_keras(config, keras, keras_model, fake_model, capsys):
    values = ACCURACIES if config.get("monitor") == "val_accuracy" else LOSSES
    expected = run(keras.callbacks.ReduceLROnPlateau(**config), keras_model, values)
    keras_out = capsys.readouterr().out
    assert run(ReduceLROnPlateau(**config), fake_model, values) == expected
    assert capsys.readouterr().out == keras_out
    assert len({lr for lr, *_ in expected}) > 1  # the sequence did trigger reductions


def test_reduction_formula(fake_model):
    callback = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_lr=0.004)
    trace = run(callback, fake_model, [1.0, 1.0, 1.0, 1.0])
    assert [lr for lr, *_ in trace] == pytest.approx([0.01, 0.005, 0.004, 0.004])


def test_missing_monitor_warns(fake_model):
    callback = ReduceLROnPlateau(monitor="val_loss")
    callback.set_model(fake_model)
    callback.on_train_begin()
    logs = {"loss": 1.0}
    with pytest.warns(UserWarning, match="`val_loss` which is not available"):
        callback.on_epoch_end(0, logs)
    assert logs["learning_rate"] == pytest.approx(0.01)


def test_factor_must_be_below_one():
    with pytest.raises(ValueError, match="`factor` must be < 1.0. Received: factor=1.0"):
        ReduceLROnPlateau(factor=1.0)
