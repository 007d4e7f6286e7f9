"""Data rules of fit / evaluate / predict: sources without a length, `steps` bounding every kind
of source (Keras's epoch iterator, checked against Keras), loop-argument validation, clear errors
for malformed data, arrays with negative strides, and where arrays live on CUDA."""

import warnings

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras.trainers import data as data_module


def _regressor():
    model = tk.Sequential([tk.Input((4,)), tk.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _rows(seed=0, n=64):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype("float32"), rng.normal(size=(n, 2)).astype("float32")


def _recording_model(library, seen):
    """A model whose steps record the first feature of each batch (rows are numbered 0..n-1)."""

    class Recorder(library.Model):
        def __init__(self):
            super().__init__()
            self.dense = library.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            seen.append(int(data[0][0, 0]))
            return {"n": 0.0}

        def test_step(self, data):
            seen.append(("val", int(data[0][0, 0])))
            return {"n": 0.0}

    model = Recorder()
    model.compile(optimizer="sgd", loss="mse")
    return model


def _batches_run(library, **fit_kwargs):
    seen = []
    x = np.arange(64, dtype="float32")[:, None]
    model = _recording_model(library, seen)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, x, batch_size=8, shuffle=False, verbose=0, **fit_kwargs)
    ran_out = [w for w in caught if "ran out of data" in str(w.message)]
    return seen, len(ran_out)


@pytest.mark.parametrize(
    "fit_kwargs",
    [
        {"epochs": 3, "steps_per_epoch": 2},
        {"epochs": 4, "steps_per_epoch": 3},  # the third epoch runs short, the fourth starts over
        {"epochs": 2, "steps_per_epoch": 10},
        {
            "epochs": 2,
            "steps_per_epoch": 2,
            "validation_data": (np.arange(40.0)[:, None], np.arange(40.0)[:, None]),
            "validation_steps": 2,
        },
    ],
)
def test_steps_bound_arrays_as_keras(keras, fit_kwargs):
    ours, ours_warned = _batches_run(tk, **fit_kwargs)
    theirs, theirs_warned = _batches_run(keras, **fit_kwargs)
    assert ours == theirs
    assert bool(ours_warned) == bool(theirs_warned)


def test_steps_per_epoch_on_arrays_runs_that_many_batches():
    seen, _ = _batches_run(tk, epochs=1, steps_per_epoch=2)
    assert seen == [0, 8]  # 64 rows, batch 8: two batches, not eight


def test_evaluate_and_predict_steps_bound_arrays():
    x, y = _rows()
    model = _regressor()
    assert model.predict(x, batch_size=8, steps=2, verbose=0).shape == (16, 2)
    seen = []

    class Count(tk.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            seen.append(batch)

    model.evaluate(x, y, batch_size=8, steps=3, callbacks=[Count()], verbose=0)
    assert seen == [0, 1, 2]


def test_sized_dataloader_continues_across_epochs_with_steps():
    x = torch.arange(32, dtype=torch.float32)[:, None]
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x), batch_size=8)
    seen = []
    model = _recording_model(tk, seen)
    model.fit(loader, epochs=3, steps_per_epoch=2, verbose=0)
    assert seen == [0, 8, 16, 24, 0, 8]


class _Stream(torch.utils.data.IterableDataset):
    """An IterableDataset without `__len__`: the DataLoader over it has no length either."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __iter__(self):
        return iter(zip(self.x, self.y))


def test_dataloader_without_length_trains_and_validates_with_unknown_steps(monkeypatch, capsys):
    from torchkeras.utils import progbar

    monkeypatch.setattr(progbar, "_dynamic_display", lambda: True)  # live lines, as on a terminal
    x, y = _rows()
    loader = torch.utils.data.DataLoader(_Stream(x, y), batch_size=16)
    model = _regressor()
    history = model.fit(
        loader, epochs=2, validation_data=torch.utils.data.DataLoader(_Stream(x, y)), verbose=1
    )
    assert len(history.history["loss"]) == 2 and len(history.history["val_loss"]) == 2
    out = capsys.readouterr().out
    assert "/Unknown" in out  # Keras's progress for an unknown step count
    assert "4/4" in out  # the second epoch knows the length the first one found
    results = model.evaluate(torch.utils.data.DataLoader(_Stream(x, y), batch_size=16), verbose=0)
    assert np.isfinite(results)
    assert model.predict(torch.utils.data.DataLoader(_Stream(x, y), batch_size=16), verbose=0).shape == (
        64,
        2,
    )


def test_generator_without_steps_runs_until_exhausted():
    x, y = _rows()
    model = _regressor()
    seen = []

    class Count(tk.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    batches = ((x[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16))
    model.fit(batches, epochs=1, callbacks=[Count()], verbose=0)
    assert seen == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 1.5}, "`epochs` must be a non-negative integer. Received: epochs=1.5"),
        ({"epochs": -1}, "`epochs` must be a non-negative integer. Received: epochs=-1"),
        ({"initial_epoch": -2}, "`initial_epoch` must be a non-negative integer"),
        ({"steps_per_epoch": 0}, "`steps_per_epoch` must be a positive integer. Received: steps_per_epoch=0"),
        ({"validation_freq": 0}, "`validation_freq` must be a positive integer. Received: validation_freq=0"),
        ({"batch_size": True}, "`batch_size` must be a positive integer. Received: batch_size=True"),
        ({"batch_size": 2.0}, "`batch_size` must be a positive integer"),
        ({"validation_steps": -1}, "`validation_steps` must be a positive integer"),
        ({"validation_batch_size": 0}, "`validation_batch_size` must be a positive integer"),
    ],
)
def test_loop_arguments_are_validated_before_training(kwargs, message):
    x, y = _rows()
    model = _regressor()
    before = [w.detach().clone() for w in model.weights]
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        model.fit(x, y, verbose=0, validation_data=(x, y), **kwargs)
    assert all(torch.equal(a, b) for a, b in zip(before, model.weights))


def test_evaluate_and_predict_validate_steps_and_batch_size():
    x, y = _rows()
    model = _regressor()
    with pytest.raises(ValueError, match="`steps` must be a positive integer. Received: steps=0"):
        model.evaluate(x, y, steps=0, verbose=0)
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        model.predict(x, batch_size=True, verbose=0)


@pytest.mark.parametrize("arity", [0, 4])
def test_validation_data_of_wrong_arity(arity):
    x, y = _rows()
    with pytest.raises(
        ValueError, match=f"`validation_data` must be .* Received: a tuple of {arity} elements"
    ):
        _regressor().fit(x, y, validation_data=(x, y, None, None)[:arity], verbose=0)


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        (None, "Each batch must hold inputs `x`"),
        ((None, None), "Each batch must hold inputs `x`"),
        (3.0, "Each batch's `x` must be arrays with a batch dimension. Received a scalar"),
        ((np.ones((4, 4)), 1.0), "Each batch's `y` must be arrays with a batch dimension"),
        ((np.ones((4, 4)), np.ones((3, 2))), r"same number of rows. Received: x: \[4\], y: \[3\]"),
    ],
)
def test_generator_batches_that_cannot_be_read(batch, message):
    with pytest.raises(ValueError, match=message):
        _regressor().fit((batch for _ in range(2)), epochs=1, verbose=0)


def test_predict_none_and_complex_inputs():
    model = _regressor()
    with pytest.raises(ValueError, match="`x` must be given.*Received: x=None"):
        model.predict(None, verbose=0)
    with pytest.raises(ValueError, match="`x` must be given"):
        model.evaluate(None, verbose=0)
    with pytest.raises(ValueError, match="`x` must hold real numbers.*complex"):
        model.predict(np.ones((4, 4), dtype=np.complex64), verbose=0)
    with pytest.raises(ValueError, match="`y` must hold real numbers"):
        model.fit(np.ones((4, 4)), np.ones((4, 2)) * 1j, verbose=0)


def test_x_and_y_row_counts_must_match():
    with pytest.raises(ValueError, match="`x` and `y` must have the same number of samples"):
        _regressor().fit(np.ones((8, 4)), np.ones((6, 2)), verbose=0)


def test_sequential_predict_on_wrong_rank_raises():
    with pytest.raises(
        ValueError, match=r"expects inputs of shape \(None, 4\). Received: inputs.shape=\(4,\)"
    ):
        _regressor().predict(np.ones(4), verbose=0)


def test_arrays_with_negative_strides_are_accepted():
    x, y = _rows()
    model = _regressor()
    reversed_rows = model.predict(x[::-1], verbose=0)
    np.testing.assert_allclose(reversed_rows, model.predict(x, verbose=0)[::-1], rtol=1e-6, atol=1e-6)
    flipped = np.ascontiguousarray(x[:, ::-1])
    np.testing.assert_allclose(model.predict(x[:, ::-1], verbose=0), model.predict(flipped, verbose=0))
    model.fit(x[::-1], y[::-1], epochs=1, verbose=0)


def test_arrays_move_to_the_device_only_under_the_memory_share(monkeypatch):
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (1000, 4000))
    cuda = torch.device("cuda")
    assert data_module.fits_on_device(int(1000 * data_module.DEVICE_MEMORY_SHARE), cuda)
    assert not data_module.fits_on_device(int(1000 * data_module.DEVICE_MEMORY_SHARE) + 1, cuda)
    assert data_module.fits_on_device(10**15, torch.device("cpu"))  # host memory: no device budget


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_large_arrays_stream_from_pinned_host_memory_on_cuda(monkeypatch):
    monkeypatch.setattr(data_module, "DEVICE_MEMORY_SHARE", 0.0)
    x, y = _rows()
    source = data_module.make_data(x, y, batch_size=8, shuffle=True, device=torch.device("cuda"))
    assert source._stream and source.data[0].device.type == "cpu" and source.data[0].is_pinned()
    batch = next(iter(source))
    assert batch[0].device.type == "cuda" and batch[0].shape == (8, 4)
    model = _regressor().to("cuda")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(model.evaluate(x, y, verbose=0))
