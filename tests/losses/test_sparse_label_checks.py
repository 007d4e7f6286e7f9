"""Sparse labels are range-checked on every batch of fit, evaluate and the *_on_batch methods."""

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras.trainers.compile_utils import CompileLoss

X = np.random.RandomState(0).rand(40, 4).astype("float32")
GOOD = np.random.RandomState(1).randint(0, 3, size=40)


def _model(loss="sparse_categorical_crossentropy"):
    tk.config.set_random_seed(2)
    model = tk.Sequential([tk.Input((4,)), tk.layers.Dense(3)])
    model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    return model


def _with(value, at):
    labels = GOOD.astype("float32" if value != value else "int64").copy()
    labels[at] = value
    return labels


@pytest.mark.parametrize(("value", "shown"), [(3, "3"), (-2, "-2"), (17, "17")])
def test_a_bad_label_in_a_later_batch_names_the_batch_and_the_value(value, shown):
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=rf"\[0, 3\).*Received: label {shown} in batch 3\."):
        model.fit(X, _with(value, 26), batch_size=8, shuffle=False, verbose=0)
    after = model.get_weights()
    assert not all(np.array_equal(a, b) for a, b in zip(before, after))  # batches 0-2 ran
    assert int(model.optimizer.iterations) == 3  # the bad batch did not


def test_nan_labels_and_the_first_batch():
    with pytest.raises(ValueError, match=r"label nan in batch 1\."):
        _model().fit(X, _with(float("nan"), 9), batch_size=8, shuffle=False, verbose=0)
    with pytest.raises(ValueError, match=r"label 5 in batch 0\."):
        _model().fit(X, _with(5, 2), batch_size=8, shuffle=False, verbose=0)


def test_every_entry_point_checks_every_time():
    model = _model()
    model.fit(X, GOOD, batch_size=8, verbose=0)  # builds the loss on good labels
    bad = _with(4, 39)
    with pytest.raises(ValueError, match=r"label 4 in batch 4\."):
        model.fit(X, bad, batch_size=8, shuffle=False, verbose=0)
    with pytest.raises(ValueError, match=r"label 4 in batch 2\."):
        model.evaluate(X, bad, batch_size=16, verbose=0)
    with pytest.raises(ValueError, match=r"label 4 in batch 0\."):
        model.train_on_batch(X[-4:], bad[-4:])
    with pytest.raises(ValueError, match=r"label 4 in batch 0\."):
        model.test_on_batch(X[-4:], bad[-4:])
    with pytest.raises(ValueError, match=r"label 4 in batch 1\."):
        model.fit(X, GOOD, batch_size=8, verbose=0, validation_data=(X, bad), validation_batch_size=20)
    model.evaluate(X, GOOD, verbose=0)  # and good labels still pass


def test_ignore_class_and_other_losses_are_left_alone():
    model = _model(tk.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1))
    model.fit(X, _with(-1, 30), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"label -2 in batch 3\."):
        model.fit(X, _with(-2, 30), batch_size=8, shuffle=False, verbose=0)
    dense = _model("categorical_crossentropy")
    dense.fit(X, np.eye(3, dtype="float32")[GOOD] * 5, batch_size=8, verbose=0)  # no class range


def test_the_device_flag_path_reports_with_the_epoch_and_trains_on_replaced_labels(monkeypatch):
    """The path CUDA takes (no read per step), run on the CPU."""
    monkeypatch.setattr(CompileLoss, "eager_label_devices", ())
    model = _model()
    with pytest.raises(ValueError, match=r"label 9 in batch 3\."):
        model.fit(X, _with(9, 26), batch_size=8, shuffle=False, verbose=0)
    assert int(model.optimizer.iterations) == 5  # the epoch ran; the error came with its logs
    with pytest.raises(ValueError, match=r"label nan in batch 1\."):
        model.evaluate(X, _with(float("nan"), 20), batch_size=16, verbose=0)
    with pytest.raises(ValueError, match=r"label -1 in batch 0\."):
        model.train_on_batch(X[:4], _with(-1, 0)[:4])
    two_bad = _with(7, 17)
    two_bad[35] = 8
    with pytest.raises(ValueError, match=r"label 7 in batch 2\."):  # the first bad one is named
        model.evaluate(X, two_bad, batch_size=8, verbose=0)
    model.fit(X, GOOD, batch_size=8, verbose=0)  # nothing left flagged
    masked = _model(tk.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1))
    masked.fit(X, _with(-1, 3), batch_size=8, verbose=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="the on-device flag is for CUDA")
def test_on_cuda_bad_labels_are_reported_with_the_epoch_without_faulting():
    model = _model()
    model.to("cuda")
    with pytest.raises(ValueError, match=r"label 9 in batch 3\."):
        model.fit(X, _with(9, 26), batch_size=8, shuffle=False, verbose=0)
    with pytest.raises(ValueError, match=r"label nan in batch 1\."):
        model.evaluate(X, _with(float("nan"), 20), batch_size=16, verbose=0)
    with pytest.raises(ValueError, match=r"label -1 in batch 0\."):
        model.train_on_batch(X[:4], _with(-1, 0)[:4])
    model.fit(X, GOOD, batch_size=8, verbose=0)  # the device is still usable
    assert np.isfinite(model.evaluate(X, GOOD, verbose=0)).all()
