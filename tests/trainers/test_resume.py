"""Resuming training from a file: the optimizer state is in effect as soon as it is loaded."""

import numpy as np
import pytest

import torchkeras as tk

X = np.random.RandomState(0).rand(32, 4).astype("float32")
Y = np.random.RandomState(1).rand(32, 2).astype("float32")
FORMATS = ["safetensors", "keras", "weights.safetensors", "weights.h5"]


def _model(learning_rate=0.01):
    tk.config.set_random_seed(5)
    model = tk.Sequential([tk.Input((4,)), tk.layers.Dense(6, activation="relu"), tk.layers.Dense(2)])
    model.compile(optimizer=tk.optimizers.Adam(learning_rate), loss="mse")
    return model


def _saved_and_loaded(tmp_path, fmt, learning_rate=0.01):
    """A model trained 3 epochs (learning rate changed to 0.005 on the way), and its reload."""
    if "h5" in fmt or fmt == "keras":
        pytest.importorskip("h5py")
    trained = _model(learning_rate)
    trained.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    trained.optimizer.learning_rate = 0.005
    path = str(tmp_path / f"m.{fmt}")
    if fmt.startswith("weights"):
        trained.save_weights(path)
        loaded = _model(learning_rate)
        loaded.load_weights(path)
    else:
        trained.save(path)
        loaded = tk.saving.load_model(path)
    return trained, loaded


@pytest.mark.parametrize("fmt", FORMATS)
def test_iterations_and_learning_rate_read_the_saved_values_right_after_loading(tmp_path, fmt):
    trained, loaded = _saved_and_loaded(tmp_path, fmt)
    assert int(loaded.optimizer.iterations) == int(trained.optimizer.iterations) == 12
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.005, rel=1e-6)
    # The slots still arrive at build: training continues exactly like the original.
    trained.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    loaded.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(trained.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(loaded.optimizer.iterations) == 16


@pytest.mark.parametrize("fmt", ["safetensors", "weights.safetensors"])
def test_a_learning_rate_set_after_loading_is_the_one_fit_uses(tmp_path, fmt):
    _, loaded = _saved_and_loaded(tmp_path, fmt)
    before = loaded.get_weights()
    loaded.optimizer.learning_rate = 0.0
    loaded.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(before, loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert float(loaded.optimizer.learning_rate) == 0.0
    assert int(loaded.optimizer.iterations) == 16


def test_callbacks_and_the_scheduler_see_the_restored_state_at_the_first_resumed_epoch(tmp_path):
    _, loaded = _saved_and_loaded(tmp_path, "safetensors")
    seen = []

    class Record(tk.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            optimizer = self.model.optimizer
            seen.append((epoch, int(optimizer.iterations), float(optimizer.learning_rate)))

    scheduler = tk.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    loaded.fit(X, Y, batch_size=8, epochs=5, initial_epoch=3, shuffle=False, verbose=0,
               callbacks=[scheduler, Record()])  # fmt: skip
    assert [epoch for epoch, _, _ in seen] == [3, 4]
    assert [iterations for _, iterations, _ in seen] == [12, 16]
    np.testing.assert_allclose([lr for _, _, lr in seen], [0.0025, 0.00125], rtol=1e-6)
