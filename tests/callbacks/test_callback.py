"""Callback base: Keras's hook names and signatures, defaults, the legacy batch aliases."""

from __future__ import annotations

import inspect

import pytest

from torchkeras.callbacks import Callback


def public_methods(cls):
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def test_same_hooks_and_signatures_as_keras(keras):
    reference = keras.callbacks.Callback
    assert public_methods(Callback) == public_methods(reference)
    for name in public_methods(reference):
        ours = inspect.signature(getattr(Callback, name))
        theirs = inspect.signature(getattr(reference, name))
        assert list(ours.parameters) == list(theirs.parameters), name
        assert [p.default for p in ours.parameters.values()] == [
            p.default for p in theirs.parameters.values()
        ], name


def test_defaults(fake_model):
    callback = Callback()
    assert callback.model is None and callback.params is None
    callback.set_model(fake_model)
    callback.set_params({"verbose": 1, "epochs": 2, "steps": 3})
    assert callback.model is fake_model and callback.params == {"verbose": 1, "epochs": 2, "steps": 3}
    for name in public_methods(Callback) - {"set_model", "set_params"}:
        args = (0,) if "batch" in name or "epoch" in name else ()
        assert getattr(callback, name)(*args, logs={"loss": 1.0}) is None


def test_model_has_no_setter(fake_model):
    with pytest.raises(AttributeError):
        Callback().model = fake_model


@pytest.mark.parametrize("which", ["begin", "end"])
def test_train_batch_hooks_call_legacy_aliases(which):
    calls = []

    class Legacy(Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch, logs))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs))

    getattr(Legacy(), f"on_train_batch_{which}")(4, {"loss": 1.0})
    assert calls == [(which, 4, {"loss": 1.0})]


def test_subclass_without_super_init(fake_model):
    class Bare(Callback):
        def __init__(self):
            pass

    callback = Bare()
    assert callback.model is None and callback.params is None
    callback.set_model(fake_model)
    assert callback.model is fake_model


def test_unwraps_distributed_data_parallel(monkeypatch):
    from torchkeras.callbacks import callback as callback_module

    class FakeDDP:
        module = "inner model"

    monkeypatch.setattr(callback_module, "DistributedDataParallel", FakeDDP)
    callback = Callback()
    callback.set_model(FakeDDP())
    assert callback.model == "inner model"
