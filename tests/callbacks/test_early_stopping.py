"""EarlyStopping: decisions match Keras's on the same sequences of epoch logs."""

from __future__ import annotations

import pytest

from torchkeras.callbacks import EarlyStopping

LOSSES = [1.0, 0.8, 0.85, 0.79, 0.9, 0.95, 0.5, 0.55, 0.6, 0.49, 0.7]
ACCURACIES = [0.5, 0.6, 0.605, 0.7, 0.69, 0.71, 0.71, 0.65]

CONFIGS = [
    {},
    {"patience": 2},
    {"patience": 2, "min_delta": 0.05},
    {"patience": 1, "baseline": 0.82},
    {"patience": 2, "restore_best_weights": True},
    {"patience": 1, "restore_best_weights": True, "baseline": 0.1},
    {"patience": 1, "start_from_epoch": 3, "restore_best_weights": True},
    {"monitor": "loss", "mode": "min", "patience": 3, "verbose": 1, "restore_best_weights": True},
    {"monitor": "val_accuracy", "mode": "max", "patience": 1, "min_delta": 0.01},
    {"monitor": "val_accuracy", "mode": "max", "patience": 2, "baseline": 0.65, "verbose": 1},
]


def run(callback, model, values, fill_weights):
    """Feeds one value per epoch (under every monitored name); returns the trace and restored epoch."""
    callback.set_model(model)
    callback.on_train_begin()
    trace = []
    for epoch, value in enumerate(values):
        fill_weights(model, epoch)
        model.stop_training = False
        logs = {"loss": value, "val_loss": value, "val_accuracy": value}
        callback.on_epoch_end(epoch, logs)
        trace.append((model.stop_training, callback.wait, callback.best, callback.stopped_epoch))
    fill_weights(model, -1)
    callback.on_train_end()
    return trace, float(model.get_weights()[0].flat[0])


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default"
)
def test_matches_keras(config, keras, keras_model, fake_model, fill_weights, capsys):
    values = ACCURACIES if config.get("monitor") == "val_accuracy" else LOSSES
    expected = run(keras.callbacks.EarlyStopping(**config), keras_model, values, fill_weights)
    keras_out = capsys.readouterr().out
    ours = EarlyStopping(**config)
    assert run(ours, fake_model, values, fill_weights) == expected
    assert capsys.readouterr().out == keras_out


def test_reused_across_fits_resets_state(fake_model, fill_weights):
    callback = EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    first = run(callback, fake_model, LOSSES, fill_weights)
    assert run(callback, fake_model, LOSSES, fill_weights) == first


def test_restores_best_weights_without_stopping_early(fake_model, fill_weights):
    trace, restored = run(
        EarlyStopping(patience=100, restore_best_weights=True), fake_model, LOSSES, fill_weights
    )
    assert not any(stop for stop, *_ in trace)
    assert restored == LOSSES.index(min(LOSSES))


def test_stops_after_patience(fake_model, fill_weights):
    trace, _ = run(
        EarlyStopping(monitor="loss", patience=2), fake_model, [1.0, 0.9, 0.95, 0.96, 0.97], fill_weights
    )
    assert [stop for stop, *_ in trace] == [False, False, False, True, True]


def test_auto_mode_uses_metric_direction(make_fake_model, fake_metrics, fill_weights):
    model = make_fake_model(metrics=fake_metrics)
    callback = EarlyStopping(monitor="val_accuracy", patience=0)
    trace, _ = run(callback, model, [0.5, 0.6, 0.55], fill_weights)
    assert [stop for stop, *_ in trace] == [False, False, True]
    assert callback.min_delta == 0


def test_auto_mode_matches_keras_with_compiled_metric(keras, fake_metrics, make_fake_model, fill_weights):
    import numpy as np

    keras_model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    keras_model.compile(optimizer="sgd", loss="mse", metrics=["accuracy"])
    keras_model.evaluate(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0)  # builds the metrics
    config = {"monitor": "val_accuracy", "patience": 1, "min_delta": 0.01}
    expected = run(keras.callbacks.EarlyStopping(**config), keras_model, ACCURACIES, fill_weights)
    assert (
        run(EarlyStopping(**config), make_fake_model(metrics=fake_metrics), ACCURACIES, fill_weights)
        == expected
    )


def test_auto_mode_unknown_direction_raises(fake_model):
    callback = EarlyStopping(monitor="val_f1")
    callback.set_model(fake_model)
    callback.on_train_begin()
    with pytest.raises(ValueError, match="mode='max'"):
        callback.on_epoch_end(0, {"val_f1": 0.5})


def test_missing_monitor_warns_and_waits(fake_model):
    callback = EarlyStopping(monitor="val_loss")
    callback.set_model(fake_model)
    callback.on_train_begin()
    with pytest.warns(UserWarning, match="`val_loss` which is not available. Available metrics are: loss"):
        callback.on_epoch_end(0, {"loss": 1.0})
    assert callback.best is None and not fake_model.stop_training


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="mode 'smallest' is unknown"):
        callback = EarlyStopping(mode="smallest")
    assert callback.mode == "auto"
