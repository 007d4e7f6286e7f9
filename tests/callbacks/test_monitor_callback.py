"""MonitorCallback: mode inference and the improvement test."""

from __future__ import annotations

import operator

import pytest

from torchkeras.callbacks.monitor_callback import MonitorCallback


def monitor(model, **kwargs):
    callback = MonitorCallback(**kwargs)
    callback.set_model(model)
    callback._set_monitor_op()
    return callback


@pytest.mark.parametrize(
    "monitor_name, expected",
    [
        ("loss", operator.lt),
        ("val_loss", operator.lt),
        ("accuracy", operator.gt),
        ("val_accuracy", operator.gt),
        ("val_mae", operator.lt),
    ],
)
def test_auto_mode_from_model_metrics(monitor_name, expected, make_fake_model, fake_metrics):
    assert monitor(make_fake_model(metrics=fake_metrics), monitor=monitor_name).monitor_op is expected


def test_flat_metric_list(make_fake_model, fake_metrics):
    model = make_fake_model(metrics=[fake_metrics[0], *fake_metrics[1].metrics])
    assert monitor(model, monitor="val_accuracy").monitor_op is operator.gt


def test_auto_mode_matches_keras(keras, fake_metrics, make_fake_model):
    import numpy as np
    from keras.src.callbacks.monitor_callback import MonitorCallback as KerasMonitorCallback

    keras_model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    keras_model.compile(optimizer="sgd", loss="mse", metrics=["accuracy", "mae"])
    keras_model.evaluate(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0)
    for name in ["loss", "val_accuracy", "mae"]:
        theirs = KerasMonitorCallback(monitor=name, min_delta=0.5)
        theirs.set_model(keras_model)
        theirs._set_monitor_op()
        ours = monitor(make_fake_model(metrics=fake_metrics), monitor=name, min_delta=0.5)
        assert (ours.monitor_op is operator.gt) == (theirs.monitor_op.__name__ == "greater"), name
        assert ours.min_delta == theirs.min_delta, name


@pytest.mark.parametrize("mode, expected", [("min", operator.lt), ("max", operator.gt)])
def test_explicit_mode(mode, expected, fake_model):
    assert monitor(fake_model, monitor="anything", mode=mode).monitor_op is expected


def test_improvement_respects_min_delta(fake_model):
    minimizing = monitor(fake_model, mode="min", min_delta=-0.1)  # the sign is ignored
    assert minimizing.min_delta == -0.1
    assert minimizing._is_improvement(0.5, None)
    assert minimizing._is_improvement(0.39, 0.5) and not minimizing._is_improvement(0.41, 0.5)
    maximizing = monitor(fake_model, mode="max", min_delta=0.1)
    assert maximizing._is_improvement(0.61, 0.5) and not maximizing._is_improvement(0.59, 0.5)


def test_unknown_direction_raises(fake_model):
    with pytest.raises(ValueError, match="monitor=val_f1"):
        monitor(fake_model, monitor="val_f1")
