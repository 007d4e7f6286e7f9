"""LearningRateScheduler: same learning rates and logs as Keras's."""

from __future__ import annotations

import numpy as np
import pytest

from torchkeras.callbacks import LearningRateScheduler

SCHEDULES = {
    "halve_every_other": lambda epoch, lr: lr * 0.5 if epoch % 2 else lr,
    "one_argument": lambda epoch: 0.1 / (epoch + 1),
    "numpy_float32": lambda epoch, lr: np.float32(lr * 0.9),
}


def run(callback, model, epochs=5):
    callback.set_model(model)
    callback.on_train_begin()
    trace = []
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch, {})
        logs = {"loss": 1.0}
        callback.on_epoch_end(epoch, logs)
        trace.append((float(model.optimizer.learning_rate), logs["learning_rate"]))
    return trace


@pytest.mark.parametrize("name", sorted(SCHEDULES))
@pytest.mark.parametrize("verbose", [0, 1])
def test_matches_keras(name, verbose, keras, keras_model, fake_model, capsys):
    expected = run(keras.callbacks.LearningRateScheduler(SCHEDULES[name], verbose=verbose), keras_model)
    keras_out = capsys.readouterr().out
    assert run(LearningRateScheduler(SCHEDULES[name], verbose=verbose), fake_model) == expected
    assert capsys.readouterr().out == keras_out


def test_receives_epoch_and_current_lr(fake_model):
    seen = []
    run(LearningRateScheduler(lambda epoch, lr: seen.append((epoch, lr)) or lr * 2), fake_model, epochs=3)
    assert seen == [(0, pytest.approx(0.01)), (1, pytest.approx(0.02)), (2, pytest.approx(0.04))]


@pytest.mark.parametrize("bad", [1, "0.1", None])
def test_schedule_must_return_a_float(bad, fake_model):
    callback = LearningRateScheduler(lambda epoch, lr: bad)
    callback.set_model(fake_model)
    with pytest.raises(ValueError, match="should be a float"):
        callback.on_epoch_begin(0)


def test_optimizer_needs_learning_rate(fake_model):
    fake_model.optimizer = object()
    callback = LearningRateScheduler(lambda epoch, lr: lr)
    callback.set_model(fake_model)
    with pytest.raises(ValueError, match='"learning_rate" attribute'):
        callback.on_epoch_begin(0)
