"""CallbackList: default callbacks, forwarding, and when batch tensor logs become floats."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchkeras.callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgbarLogger,
    TerminateOnNaN,
)

HOOKS = ["train_batch", "test_batch", "predict_batch"]


class Recorder(Callback):
    """Records the logs every batch-end hook receives."""

    def __init__(self):
        super().__init__()
        self.seen = {}

    def on_train_batch_end(self, batch, logs=None):
        self.seen["train_batch"] = logs

    def on_test_batch_end(self, batch, logs=None):
        self.seen["test_batch"] = logs

    def on_predict_batch_end(self, batch, logs=None):
        self.seen["predict_batch"] = logs


class TensorRecorder(Recorder):
    _handles_tensor_logs = True


class EpochOnly(Callback):
    def on_epoch_end(self, epoch, logs=None):
        pass


class EvaluateOnly(Callback):
    def on_test_batch_end(self, batch, logs=None):
        pass


class LegacyBatchEnd(Callback):
    def on_batch_end(self, batch, logs=None):
        self.logs = logs


class CustomProgbar(ProgbarLogger):
    def on_train_batch_end(self, batch, logs=None):
        self.logs = logs


def tensor_logs():
    return {"loss": torch.tensor(0.5), "accuracy": torch.tensor(0.25, dtype=torch.float64)}


def drive_batches(callbacks):
    """Calls each batch-end hook once with tensor logs; returns the dicts passed in."""
    sent = {hook: tensor_logs() for hook in HOOKS}
    callbacks.on_train_batch_end(0, sent["train_batch"])
    callbacks.on_test_batch_end(0, sent["test_batch"])
    callbacks.on_predict_batch_end(0, sent["predict_batch"])
    return sent


def test_tensor_aware_callbacks_get_tensor_logs_untouched(fake_model, tmp_path):
    recorder = TensorRecorder()
    others = [
        EarlyStopping(),
        ModelCheckpoint(str(tmp_path / "m.keras")),
        LearningRateScheduler(lambda e, lr: lr),
    ]
    callbacks = CallbackList(
        [*others, EpochOnly(), recorder], add_history=True, add_progbar=True, model=fake_model
    )
    sent = drive_batches(callbacks)
    for hook in HOOKS:
        assert recorder.seen[hook] is sent[hook]


def test_plain_batch_callback_gets_floats_once_per_batch(fake_model):
    recorder, tensor_recorder = Recorder(), TensorRecorder()
    callbacks = CallbackList([tensor_recorder, recorder], model=fake_model)
    drive_batches(callbacks)
    for hook in HOOKS:
        assert recorder.seen[hook] == {"accuracy": 0.25, "loss": 0.5}
        assert all(type(value) is float for value in recorder.seen[hook].values())
        assert recorder.seen[hook] is tensor_recorder.seen[hook]  # converted once, shared


def test_conversion_is_per_hook(fake_model):
    recorder = TensorRecorder()
    callbacks = CallbackList([EvaluateOnly(), recorder], model=fake_model)
    sent = drive_batches(callbacks)
    assert recorder.seen["train_batch"] is sent["train_batch"]
    assert recorder.seen["predict_batch"] is sent["predict_batch"]
    assert recorder.seen["test_batch"] == {"accuracy": 0.25, "loss": 0.5}


@pytest.mark.parametrize(
    "make",
    [
        LegacyBatchEnd,
        CustomProgbar,
        TerminateOnNaN,
        lambda: LambdaCallback(on_train_batch_end=lambda batch, logs: None),
        lambda: LambdaCallback(on_batch_end=lambda batch, logs: None),
    ],
    ids=["legacy_on_batch_end", "progbar_subclass", "terminate_on_nan", "lambda", "lambda_kwargs"],
)
def test_overriding_a_train_batch_hook_needs_numbers(make, fake_model):
    recorder = TensorRecorder()
    callbacks = CallbackList([make(), recorder], model=fake_model)
    callbacks.on_train_batch_end(0, tensor_logs())
    assert recorder.seen["train_batch"] == {"accuracy": 0.25, "loss": 0.5}


def test_legacy_alias_is_called_from_train_batch_end(fake_model):
    legacy = LegacyBatchEnd()
    CallbackList([legacy], model=fake_model).on_train_batch_end(3, {"loss": torch.tensor(2.0)})
    assert legacy.logs == {"loss": 2.0}


def test_conversion_plan_refreshes_at_begin(fake_model):
    recorder = TensorRecorder()
    callbacks = CallbackList([recorder], model=fake_model)
    callbacks.callbacks.append(Recorder())
    callbacks.on_train_begin()
    callbacks.on_train_batch_end(0, tensor_logs())
    assert recorder.seen["train_batch"] == {"accuracy": 0.25, "loss": 0.5}


def test_conversion_uses_one_host_transfer(fake_model, monkeypatch):
    def no_scalar_reads(*args):
        raise AssertionError("a scalar was read on its own")

    monkeypatch.setattr(torch.Tensor, "__float__", no_scalar_reads)
    monkeypatch.setattr(torch.Tensor, "item", no_scalar_reads)
    recorder = Recorder()
    CallbackList([recorder], model=fake_model).on_train_batch_end(0, tensor_logs())
    assert recorder.seen["train_batch"] == {"accuracy": 0.25, "loss": 0.5}


def test_predict_outputs_become_numpy_when_read(fake_model):
    recorder = Recorder()
    callbacks = CallbackList([recorder], model=fake_model)
    callbacks.on_predict_batch_end(0, {"outputs": torch.ones(2, 3)})
    np.testing.assert_array_equal(recorder.seen["predict_batch"]["outputs"], np.ones((2, 3), "float32"))


def test_epoch_logs_are_flattened_sorted_floats_and_shared(fake_model):
    seen = []
    callbacks = CallbackList(
        [
            LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs)),
            LearningRateScheduler(lambda e, lr: lr),
        ],
        add_history=True,
        model=fake_model,
    )
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_epoch_end(0, {"val_loss": torch.tensor(0.5), "loss": 1, "out": {"mae": 0.25}})
    assert list(seen[0]) == ["loss", "mae", "val_loss", "learning_rate"]  # scheduler added to the shared dict
    assert seen[0]["loss"] == 1.0 and type(seen[0]["val_loss"]) is float
    assert fake_model.history.history["learning_rate"] == [pytest.approx(0.01)]


def test_epoch_logs_match_keras(keras, keras_model, fake_model):
    """The learning rate added by one callback reaches the History added after it, as in Keras."""
    logs = {"val_loss": 0.5, "loss": 1.0}
    histories = []
    for callback_list, scheduler, model in (
        (keras.callbacks.CallbackList, keras.callbacks.LearningRateScheduler, keras_model),
        (CallbackList, LearningRateScheduler, fake_model),
    ):
        callbacks = callback_list(
            [scheduler(lambda e, lr: lr / 2)], add_history=True, model=model, epochs=2, steps=1, verbose=0
        )
        callbacks.on_train_begin()
        for epoch in range(2):
            callbacks.on_epoch_begin(epoch)
            callbacks.on_epoch_end(epoch, dict(logs))
        callbacks.on_train_end()
        histories.append((model.history.history, model.history.epoch, model.history.params))
    assert histories[1] == histories[0]


def test_none_logs_become_empty_dicts(fake_model):
    recorder = Recorder()
    callbacks = CallbackList([recorder, TensorRecorder()], model=fake_model)
    callbacks.on_train_batch_end(0)
    assert recorder.seen["train_batch"] == {}


def test_default_callbacks_are_added_once_in_keras_order(fake_model):
    callbacks = CallbackList(
        [EpochOnly()], add_history=True, add_progbar=True, model=fake_model, verbose=2, epochs=3, steps=7
    )
    kinds = [type(cb) for cb in callbacks.callbacks]
    assert kinds == [EpochOnly, History, ProgbarLogger]
    assert fake_model.history is callbacks.callbacks[1]
    assert all(cb.model is fake_model for cb in callbacks.callbacks)
    assert callbacks.callbacks[2].params == {"verbose": 2, "epochs": 3, "steps": 7}
    assert (callbacks.callbacks[2].verbose, callbacks.callbacks[2].epochs, callbacks.callbacks[2].target) == (
        2,
        3,
        7,
    )


def test_user_history_and_progbar_are_kept(fake_model):
    history, progbar = History(), ProgbarLogger()
    callbacks = CallbackList([[progbar], history], add_history=True, add_progbar=True, model=fake_model)
    assert callbacks.callbacks == [progbar, history]
    assert fake_model.history is history


def test_forwards_every_hook_in_order(fake_model):
    calls = []
    run_hooks = [f"on_{run}_{when}" for run in ("train", "test", "predict") for when in ("begin", "end")]
    step_hooks = ["on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end"]
    step_hooks += [
        f"on_{run}_batch_{when}" for run in ("train", "test", "predict") for when in ("begin", "end")
    ]
    hooks = run_hooks + step_hooks

    def recorder(tag):
        return LambdaCallback(
            **{hook: (lambda *args, h=hook, **kwargs: calls.append((tag, h))) for hook in hooks}
        )

    callbacks = CallbackList([recorder("a"), recorder("b")], model=fake_model)
    for hook in hooks:
        args = () if hook in run_hooks else (0,)
        getattr(callbacks, hook)(*args, {"loss": 1.0})
    assert calls == [(tag, hook) for hook in hooks for tag in "ab"]


def test_model_none_is_ignored():
    callbacks = CallbackList([EpochOnly()])
    assert callbacks.model is None and callbacks.callbacks[0].model is None


def test_falsy_model_is_still_set():
    class EmptyModel:
        def __len__(self):
            return 0

    model = EmptyModel()
    callbacks = CallbackList(add_history=True, model=model)
    assert callbacks.callbacks[0].model is model and model.history is callbacks.callbacks[0]


def test_batch_hook_is_none_only_when_nobody_listens():
    """`fit` / `evaluate` skip a batch hook nobody implements; a subclass of the list that
    overrides the hook itself, or any callback implementing it, keeps it called every batch."""
    import torchkeras as keras

    class Seen(Callback):
        def __init__(self):
            super().__init__()
            self.batches = []

        def on_test_batch_end(self, batch, logs=None):
            self.batches.append(batch)

    class CountingList(CallbackList):
        ends = 0

        def on_test_batch_end(self, batch, logs=None):
            CountingList.ends += 1
            super().on_test_batch_end(batch, logs)

    assert CallbackList([]).batch_hook("on_test_batch_end") is None
    assert CallbackList([Seen()]).batch_hook("on_test_batch_end") is not None
    assert CallbackList([Seen()]).batch_hook("on_test_batch_begin") is None
    assert CountingList([]).batch_hook("on_test_batch_end") is not None
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(loss="mse")
    x, y = np.zeros((10, 2), "float32"), np.zeros((10, 1), "float32")
    seen = Seen()
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[seen])
    assert seen.batches == [0, 1, 2]
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=CountingList([], model=model))
    assert CountingList.ends == 3
