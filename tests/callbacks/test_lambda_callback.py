"""LambdaCallback: the given functions become the hooks."""

from __future__ import annotations

import torch

from torchkeras.callbacks import CallbackList, LambdaCallback


def test_named_hooks_receive_their_arguments(fake_model):
    calls = []
    callback = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch, logs)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs)),
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_train_end=lambda logs: calls.append(("train_end", logs)),
        on_train_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch, logs)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, logs)),
    )
    callbacks = CallbackList([callback], model=fake_model)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": torch.tensor(0.5)})
    callbacks.on_epoch_end(0, {"loss": 0.5})
    callbacks.on_train_end({"loss": 0.5})
    assert calls == [
        ("train_begin", {}),
        ("epoch_begin", 0, {}),
        ("batch_begin", 0, {}),
        ("batch_end", 0, {"loss": 0.5}),
        ("epoch_end", 0, {"loss": 0.5}),
        ("train_end", {"loss": 0.5}),
    ]


def test_other_hooks_by_keyword():
    calls = []
    callback = LambdaCallback(
        on_test_end=lambda logs: calls.append(logs), on_predict_batch_end=lambda b, logs: calls.append(b)
    )
    callback.on_test_end({"loss": 1.0})
    callback.on_predict_batch_end(3, logs=None)
    callback.on_epoch_end(0, {})  # not given: the base's no-op
    assert calls == [{"loss": 1.0}, 3]


def test_matches_keras_attributes(keras):
    def function(epoch, logs):
        return None

    theirs = keras.callbacks.LambdaCallback(on_epoch_end=function, extra=1)
    ours = LambdaCallback(on_epoch_end=function, extra=1)
    assert ours.on_epoch_end is theirs.on_epoch_end is function
    assert ours.extra == theirs.extra == 1
