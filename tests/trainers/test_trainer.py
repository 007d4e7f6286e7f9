"""fit / evaluate / predict behaviour: data sources, learning, callbacks, custom steps, errors."""

import numpy as np
import pytest
import torch

import torchkeras as tk


def _xor_like(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("int64")
    return x, y


def _classifier():
    return tk.Sequential(
        [tk.Input((2,)), tk.layers.Dense(32, activation="relu"), tk.layers.Dense(2, activation="softmax")]
    )


def test_sequential_learns_with_validation_callbacks_and_predict():
    tk.utils.set_random_seed(1)
    x, y = _xor_like(512)
    model = _classifier()
    model.compile(tk.optimizers.Adam(0.02), "sparse_categorical_crossentropy", metrics=["accuracy"])
    stopper = tk.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    history = model.fit(x, y, epochs=25, batch_size=32, validation_split=0.2, callbacks=[stopper], verbose=0)
    assert history is model.history and history.history["val_accuracy"][-1] > 0.85
    assert model.evaluate(x, y, verbose=0)[1] > 0.85
    predictions = model.predict(x[:7], verbose=0)
    assert predictions.shape == (7, 2) and np.allclose(predictions.sum(-1), 1, atol=1e-5)


def test_functional_multi_output_learns():
    tk.utils.set_random_seed(2)
    x, y = _xor_like(384)
    target = x.sum(-1, keepdims=True)
    inputs = tk.Input((2,))
    hidden = tk.layers.Dense(32, activation="relu")(inputs)
    model = tk.Model(inputs, {"cls": tk.layers.Dense(2)(hidden), "reg": tk.layers.Dense(1)(hidden)})
    model.compile(
        tk.optimizers.Adam(0.02),
        loss={"cls": tk.losses.SparseCategoricalCrossentropy(from_logits=True), "reg": "mse"},
        metrics={"cls": ["accuracy"]},
    )
    history = model.fit(x, {"cls": y, "reg": target}, epochs=20, verbose=0, validation_split=0.25)
    assert {"loss", "cls_loss", "reg_loss", "cls_accuracy", "val_cls_accuracy"} <= set(history.history)
    assert history.history["reg_loss"][-1] < history.history["reg_loss"][0] / 4
    assert history.history["val_cls_accuracy"][-1] > 0.8
    out = model.predict(x[:3], verbose=0)
    assert set(out) == {"cls", "reg"} and out["reg"].shape == (3, 1)


def test_wrapped_module_learns_with_torch_optimizer_and_multiple_inputs():
    class TwoInputs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(1, 16)
            self.b = torch.nn.Linear(1, 16)
            self.head = torch.nn.Linear(16, 2)

        def forward(self, left, right):
            return self.head(torch.relu(self.a(left) * self.b(right)))

    tk.utils.set_random_seed(3)
    x, y = _xor_like(512)
    module = TwoInputs()
    model = tk.Model(module)
    model.compile(
        torch.optim.Adam(module.parameters(), lr=0.02),
        tk.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit((x[:, :1], x[:, 1:]), y, epochs=15, batch_size=32, validation_split=0.2, verbose=0)
    assert history.history["val_accuracy"][-1] > 0.85
    assert model.predict((x[:4, :1], x[:4, 1:]), verbose=0).shape == (4, 2)


def test_set_random_seed_makes_runs_identical():
    def run():
        tk.utils.set_random_seed(123)
        x, y = _xor_like(128)
        model = _classifier()
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0).history

    assert run() == run()


def test_data_sources_give_the_same_epoch():
    tk.utils.set_random_seed(0)
    x, y = _xor_like(64)
    reference = _classifier()
    weights = reference.get_weights()

    def epoch_loss(data, **kwargs):
        model = _classifier()
        model.set_weights(weights)
        model.compile(tk.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        return model.fit(data, epochs=1, verbose=0, **kwargs).history["loss"][0]

    expected = epoch_loss(x, y=y, batch_size=16, shuffle=False)
    dataset = torch.utils.data.TensorDataset(torch.as_tensor(x), torch.as_tensor(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=16)

    def generator():
        for start in range(0, 64, 16):
            yield x[start : start + 16], y[start : start + 16]

    class Batches(tk.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return x[index * 16 : (index + 1) * 16], y[index * 16 : (index + 1) * 16]

    class FakeFrame:  # pandas is duck-typed through to_numpy()
        def __init__(self, values):
            self.values = values

        def to_numpy(self):
            return self.values

    assert epoch_loss(loader) == pytest.approx(expected, rel=1e-6)
    assert epoch_loss(dataset, batch_size=16, shuffle=False) == pytest.approx(expected, rel=1e-6)
    assert epoch_loss(generator()) == pytest.approx(expected, rel=1e-6)
    assert epoch_loss(Batches()) == pytest.approx(expected, rel=1e-6)
    assert epoch_loss(FakeFrame(x), y=FakeFrame(y), batch_size=16, shuffle=False) == pytest.approx(
        expected, rel=1e-6
    )
    assert epoch_loss(
        torch.as_tensor(x), y=torch.as_tensor(y), batch_size=16, shuffle=False
    ) == pytest.approx(expected, rel=1e-6)
    scipy_sparse = pytest.importorskip("scipy.sparse")
    assert epoch_loss(scipy_sparse.csr_matrix(x), y=y, batch_size=16, shuffle=False) == pytest.approx(
        expected, rel=1e-6
    )


def test_custom_train_step_as_in_keras_torch_guide():
    class CustomModel(tk.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = tk.metrics.Mean(name="loss")
            self.mae_metric = tk.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = tk.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            loss.backward()
            trainable_weights = list(self.trainable_weights)
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    inputs = tk.Input((2,))
    model = CustomModel(inputs, tk.layers.Dense(1)(inputs))
    model.compile(optimizer=tk.optimizers.Adam(0.05))
    x, _ = _xor_like(128)
    y = x @ np.array([[1.0], [-2.0]], "float32")
    history = model.fit(x, y, epochs=10, verbose=0)
    assert set(history.history) == {"loss", "mae"}
    assert history.history["loss"][-1] < history.history["loss"][0] / 5


def test_errors_name_the_argument():
    x, y = _xor_like(32)
    model = _classifier()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y)
    with pytest.raises(ValueError, match="Did you mean"):
        model.compile("adamm", "mse")
    with pytest.raises(ValueError, match="Did you mean"):
        model.compile("adam", "sparse_categorical_crossentropyy")
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(x, y[:-1], verbose=0)
    with pytest.raises(ValueError, match="strings or objects"):
        model.fit(np.array([["a", "b"]] * 4), y[:4], verbose=0)
    with pytest.raises(ValueError, match="in \\[0, 2\\)"):
        model.fit(x, y + 5, verbose=0)
    with pytest.raises(ValueError, match="at least one sample"):
        model.fit(x[:0], y[:0], verbose=0)
    with pytest.raises(ValueError, match="not both"):
        model.fit(x, y, class_weight={0: 1.0}, sample_weight=np.ones(32), verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(((x[i : i + 4], y[i : i + 4]) for i in range(0, 32, 4)), validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="last dimension"):
        model.fit(np.ones((8, 3), "float32"), y[:8], verbose=0)


def test_predict_on_zero_samples_returns_empty_array():
    model = _classifier()
    assert model.predict(np.zeros((0, 2), "float32"), verbose=0).shape == (0, 2)


def test_keyboard_interrupt_leaves_model_usable():
    class Interrupt(tk.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise KeyboardInterrupt

    x, y = _xor_like(64)
    model = _classifier()
    model.compile("adam", "sparse_categorical_crossentropy")
    grad_mode = torch.is_grad_enabled()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, callbacks=[Interrupt()], verbose=0)
    assert not model.training and torch.is_grad_enabled() == grad_mode
    assert model.evaluate(x, y, verbose=0) > 0
    model.fit(x, y, batch_size=8, verbose=0)


def test_progress_output_verbose_modes(capsys):
    x, y = _xor_like(64)
    model = _classifier()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "accuracy" in out


def test_epoch_controls_validation_freq_initial_epoch_and_steps():
    x, y = _xor_like(64)
    model = _classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=4, initial_epoch=1, validation_data=(x, y), validation_freq=2, verbose=0)
    assert history.epoch == [1, 2, 3] and len(history.history["loss"]) == 3
    assert len(history.history["val_loss"]) == 2  # after epoch indices 1 and 3, as Keras

    def endless():
        while True:
            yield x[:8], y[:8]

    counter = []

    class CountBatches(tk.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            counter.append(batch)

    model.fit(endless(), epochs=2, steps_per_epoch=3, callbacks=[CountBatches()], verbose=0)
    assert counter == [0, 1, 2, 0, 1, 2]


def test_steps_per_execution_groups_batch_callbacks():
    x, y = _xor_like(64)
    model = _classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", steps_per_execution=3)
    ends = []

    class Record(tk.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            ends.append(batch)

    model.fit(x, y, batch_size=8, callbacks=[Record()], verbose=0)
    assert ends == [2, 5, 7]


def test_jit_compile_trains_like_eager():
    tk.utils.set_random_seed(5)
    x, y = _xor_like(64)
    eager = _classifier()
    compiled = _classifier()
    compiled.set_weights(eager.get_weights())
    eager.compile(tk.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    compiled.compile(tk.optimizers.SGD(0.1), "sparse_categorical_crossentropy", jit_compile=True)
    a = eager.fit(x, y, batch_size=16, shuffle=False, verbose=0).history["loss"]
    b = compiled.fit(x, y, batch_size=16, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(a, b, rtol=1e-5)


def test_mixed_bfloat16_policy_trains_under_autocast():
    tk.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = _classifier()
        assert model.layers[0].compute_dtype == "bfloat16" and model.layers[0].kernel.dtype == torch.float32
        assert model(torch.ones(2, 2)).dtype == torch.bfloat16  # autocast inside the call
        x, y = _xor_like(64)
        model.compile("adam", "sparse_categorical_crossentropy")
        history = model.fit(x, y, epochs=2, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
        assert model.layers[0].kernel.dtype == torch.float32
    finally:
        tk.mixed_precision.set_global_policy(None)


def test_exhausted_generator_stops_training_with_a_warning():
    x, y = _xor_like(16)
    model = _classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    batches = ((x[i : i + 4], y[i : i + 4]) for i in range(0, 16, 4))
    with pytest.warns(UserWarning, match="ran out of data at epoch 2"):
        history = model.fit(batches, epochs=3, verbose=0)
    assert history.epoch == [0]


def test_regularizers_added_after_the_first_step_are_seen():
    """The regularizer scan is cached per weight creation, so a layer built later still counts."""

    class Growing(tk.Model):
        def __init__(self):
            super().__init__()
            self.first = tk.layers.Dense(2)
            self.late = None

        def call(self, x):
            out = self.first(x)
            return out if self.late is None else self.late(out)

    x, y = _xor_like(16)
    model = Growing()
    model.compile("sgd", tk.losses.SparseCategoricalCrossentropy(from_logits=True))
    plain = model.evaluate(x, y, verbose=0)
    model.late = tk.layers.Dense(2, kernel_regularizer=tk.regularizers.L2(10.0), kernel_initializer="ones")
    model(x[:1])  # builds the new layer
    penalty = 10.0 * 2 * 2  # L2(10) on a (2, 2) kernel of ones
    with torch.no_grad():
        data_loss = float(tk.losses.SparseCategoricalCrossentropy(from_logits=True)(y, model(x)))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(data_loss + penalty, rel=1e-5)
    assert plain > 0


def test_sparse_labels_of_arrays_are_checked_once_per_call_and_errors_name_the_batch(monkeypatch):
    model = tk.Sequential([tk.Input((4,)), tk.layers.Dense(3)])
    model.compile("sgd", tk.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = np.zeros((64, 4), "float32"), np.arange(64) % 3
    model.fit(x, y, batch_size=16, verbose=0)  # builds the loss
    checked = []
    loss = model._compile_loss
    real_check = loss.check_labels
    monkeypatch.setattr(
        loss, "check_labels", lambda labels, batch: checked.append(batch) or real_check(labels, batch)
    )
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    model.evaluate(x, y, batch_size=16, verbose=0)
    assert checked == [None, None]  # all labels at once, per call: no batch checks them again
    bad = y.copy()
    bad[40] = 7
    with pytest.raises(ValueError, match="label 7 in batch 2"):
        model.evaluate(x, bad, batch_size=16, verbose=0)
    with pytest.raises(ValueError, match="label 7 in batch 2"):
        model.fit(x, bad, batch_size=16, verbose=0, shuffle=False)
