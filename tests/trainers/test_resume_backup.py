"""BackupAndRestore resumes exactly: weights and History equal those of an uninterrupted run."""

import json

import numpy as np
import pytest
import torch

import torchkeras as tk
from tests.interrupts import CrashAfter
from torchkeras.callbacks.backup_and_restore import BackupAndRestore

X = np.random.RandomState(0).rand(40, 4).astype("float32")
Y = np.random.RandomState(1).rand(40, 2).astype("float32")
VARIANTS = ["plain", "dropout_decay", "dropout_scheduler"]


def _model(variant):
    tk.config.set_random_seed(3)
    layers = [tk.Input((4,)), tk.layers.Dense(8, activation="relu")]
    if variant != "plain":
        layers.append(tk.layers.Dropout(0.3))
    model = tk.Sequential([*layers, tk.layers.Dense(2)])
    rate = tk.optimizers.schedules.ExponentialDecay(0.02, 3, 0.8) if variant == "dropout_decay" else 0.01
    model.compile(optimizer=tk.optimizers.Adam(rate), loss="mse", metrics=["mae"])
    return model


def _fit(model, variant, shuffle, callbacks=()):
    callbacks = list(callbacks)
    if variant == "dropout_scheduler":
        callbacks.append(tk.callbacks.LearningRateScheduler(lambda epoch, lr: 0.01 * 0.5**epoch))
    return model.fit(X, Y, batch_size=8, epochs=4, shuffle=shuffle, verbose=0, callbacks=callbacks)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("save_freq", ["epoch", 3])
def test_resumed_run_equals_the_uninterrupted_one(tmp_path, save_freq, shuffle, variant):
    reference = _model(variant)
    expected = _fit(reference, variant, shuffle).history
    backup_dir = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        _fit(_model(variant), variant, shuffle, [BackupAndRestore(backup_dir, save_freq), CrashAfter(13)])
    metadata = json.loads((backup_dir / "training_metadata.json").read_text())
    assert (metadata["epoch"], metadata["step"]) == ((2, 0) if save_freq == "epoch" else (2, 2))
    resumed = _model(variant)
    history = _fit(resumed, variant, shuffle, [BackupAndRestore(backup_dir, save_freq)]).history
    assert int(resumed.optimizer.iterations) == int(reference.optimizer.iterations) == 20
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert sorted(history) == sorted(expected)
    for key in expected:  # the cut epoch (2) included: its accumulators were restored
        np.testing.assert_allclose(history[key], expected[key][2:], rtol=1e-6, err_msg=key)


def test_a_backup_with_a_corrupt_generator_state_leaves_the_model_untouched(tmp_path):
    backup_dir = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        _fit(_model("plain"), "plain", True, [BackupAndRestore(backup_dir, 3), CrashAfter(7)])
    path = backup_dir / "training_metadata.json"
    metadata = json.loads(path.read_text())
    good = metadata["rng"]["cpu"]
    bad_states = ({"cpu": good[:-8]}, {"cpu": "not base64!"}, {"cpu": 12}, {"gpu": good},
                  {"cpu": good, "seed_generator": [1, "x"]})  # fmt: skip
    for bad in bad_states:
        path.write_text(json.dumps({**metadata, "rng": bad}))
        model = _model("plain")
        before = [w.copy() for w in model.get_weights()]
        generator = torch.get_rng_state()
        with pytest.raises(ValueError, match="random generator state is corrupt"):
            _fit(model, "plain", True, [BackupAndRestore(backup_dir, 3)])
        for a, b in zip(before, model.get_weights()):
            np.testing.assert_array_equal(a, b)
        assert int(model.optimizer.iterations) == 0
        assert torch.equal(torch.get_rng_state(), generator)
    for bad_metrics in ([["loss", [["float32", [], "AAAA"]]]], "x", [["loss", [["complex", [], ""]]]]):
        path.write_text(json.dumps({**metadata, "metrics": bad_metrics}))
        model = _model("plain")
        before = [w.copy() for w in model.get_weights()]
        with pytest.raises(ValueError, match="metric state is corrupt"):
            _fit(model, "plain", True, [BackupAndRestore(backup_dir, 3)])
        for a, b in zip(before, model.get_weights()):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("save_freq", ["epoch", 2])
def test_epochs_that_continue_a_pass_resume_at_the_same_place(tmp_path, save_freq, shuffle):
    """`steps_per_epoch` of half a pass: each odd epoch continues the pass (and its shuffle
    order) that the even epoch before it began."""
    x, y = np.concatenate([X, X[:8]]), np.concatenate([Y, Y[:8]])  # 6 batches: 2 epochs a pass

    def fit(model, callbacks=()):
        return model.fit(x, y, batch_size=8, epochs=4, steps_per_epoch=3, shuffle=shuffle, verbose=0,
                         callbacks=list(callbacks))  # fmt: skip

    reference = _model("dropout_decay")
    expected = fit(reference).history
    backup_dir = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        fit(_model("dropout_decay"), [BackupAndRestore(backup_dir, save_freq), CrashAfter(5)])
    metadata = json.loads((backup_dir / "training_metadata.json").read_text())
    assert (metadata["epoch"], metadata["step"]) == ((1, 0) if save_freq == "epoch" else (1, 1))
    assert metadata["data_position"]["taken"] == 3
    resumed = _model("dropout_decay")
    history = fit(resumed, [BackupAndRestore(backup_dir, save_freq)]).history
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    for key in expected:
        np.testing.assert_allclose(history[key], expected[key][1:], rtol=1e-6, err_msg=key)
