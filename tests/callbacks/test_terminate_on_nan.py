"""TerminateOnNaN: stops (or raises) on a NaN or infinite batch loss, as Keras does."""

from __future__ import annotations

import pytest
import torch

from torchkeras.callbacks import CallbackList, TerminateOnNaN


def run(callback, model, losses):
    """Returns the batch index after which stop_training was first set, or None."""
    callback.set_model(model)
    model.stop_training = False
    for batch, loss in enumerate(losses):
        callback.on_train_batch_end(batch, {"loss": loss})
        if model.stop_training:
            return batch
    return None


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_matches_keras(bad, keras, keras_model, fake_model, capsys):
    losses = [1.0, 0.5, bad, 0.2]
    expected = run(keras.callbacks.TerminateOnNaN(), keras_model, losses)
    keras_out = capsys.readouterr().out
    assert run(TerminateOnNaN(), fake_model, losses) == expected == 2
    assert capsys.readouterr().out == keras_out == "Batch 2: Invalid loss, terminating training\n"


def test_tensor_logs_through_callback_list(fake_model):
    callbacks = CallbackList([TerminateOnNaN()], model=fake_model)
    callbacks.on_train_batch_end(0, {"loss": torch.tensor(0.5)})
    assert not fake_model.stop_training
    callbacks.on_train_batch_end(1, {"loss": torch.tensor(float("nan"))})
    assert fake_model.stop_training


def test_raise_error(fake_model):
    callback = TerminateOnNaN(raise_error=True)
    callback.set_model(fake_model)
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 5"):
        callback.on_train_batch_end(5, {"loss": float("nan")})
    assert not fake_model.stop_training


def test_ignores_logs_without_loss(fake_model):
    assert run(TerminateOnNaN(), fake_model, []) is None
    callback = TerminateOnNaN()
    callback.set_model(fake_model)
    callback.on_train_batch_end(0, {"accuracy": float("nan")})
    assert not fake_model.stop_training
