"""fit() for people who write PyTorch: torch losses and optimizers, models that return their loss,
custom steps, and Keras's small rules on the paths a torch user walks first."""

import collections
import dataclasses
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import torchkeras as tk
from torchkeras.trainers.data import class_weights_to_sample_weights


def _blobs(n=96, classes=3, features=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, size=n)
    centers = rng.normal(0, 2, size=(classes, features))
    x = (centers[y] + rng.normal(0, 1, size=(n, features))).astype("float32")
    return x, y


def _net(features=4, out=3, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(features, 16), nn.ReLU(), nn.Linear(16, out))


def _outputs(model, x):
    with torch.no_grad():
        return model(torch.as_tensor(x)).float()


# ----------------------------------------------------------------------------- torch losses


@pytest.mark.parametrize("labels", ["int32", "float32", "column"])
def test_cross_entropy_module_is_called_torch_way(labels):
    x, y = _blobs()
    y_in = {"int32": y.astype("int32"), "float32": y.astype("float32"), "column": y[:, None]}[labels]
    model = tk.Model(_net())
    model.compile(tk.optimizers.Adam(0.05), loss=nn.CrossEntropyLoss(), metrics=["accuracy"])
    history = model.fit(x, y_in, epochs=8, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    expected = F.cross_entropy(_outputs(model, x), torch.as_tensor(y)).item()
    loss, accuracy = model.evaluate(x, y_in, batch_size=len(x), verbose=0)
    assert loss == pytest.approx(expected, rel=1e-5)
    assert accuracy > 0.8


def test_bce_with_logits_gets_float_targets_shaped_like_the_output():
    x, y = _blobs(classes=2)
    model = tk.Model(_net(out=1))
    model.compile(tk.optimizers.SGD(0.1), loss=nn.BCEWithLogitsLoss())
    history = model.fit(x, y, epochs=4, batch_size=32, verbose=0)  # int64 labels of shape (N,)
    assert min(history.history["loss"]) > 0  # the old (y_true, y_pred) call went negative
    expected = F.binary_cross_entropy_with_logits(
        _outputs(model, x), torch.as_tensor(y, dtype=torch.float32)[:, None]
    )
    assert model.evaluate(x, y, batch_size=len(x), verbose=0) == pytest.approx(expected.item(), rel=1e-5)


def test_torch_losses_per_output_in_a_dict_and_functional():
    x, y = _blobs()
    target = x.sum(-1, keepdims=True)
    inputs = tk.Input((4,))
    hidden = tk.layers.Dense(8, activation="relu")(inputs)
    outputs = {"cls": tk.layers.Dense(3, name="cls")(hidden), "reg": tk.layers.Dense(1, name="reg")(hidden)}
    model = tk.Model(inputs, outputs)
    model.compile(
        "adam", loss={"cls": F.cross_entropy, "reg": nn.MSELoss()}, loss_weights={"cls": 1.0, "reg": 0.5}
    )
    model.fit(x, {"cls": y, "reg": target}, epochs=2, batch_size=32, verbose=0)
    logs = model.evaluate(x, {"cls": y, "reg": target}, batch_size=len(x), verbose=0, return_dict=True)
    with torch.no_grad():
        predicted = model(torch.as_tensor(x))
    cls_loss = F.cross_entropy(predicted["cls"], torch.as_tensor(y)).item()
    reg_loss = F.mse_loss(predicted["reg"], torch.as_tensor(target)).item()
    assert logs["cls_loss"] == pytest.approx(cls_loss, rel=1e-5)
    assert logs["reg_loss"] == pytest.approx(reg_loss, rel=1e-5)
    assert logs["loss"] == pytest.approx(cls_loss + 0.5 * reg_loss, rel=1e-5)


@pytest.mark.parametrize(
    "loss",
    [
        nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5]), ignore_index=1),
        nn.CrossEntropyLoss(reduction="sum"),
        nn.NLLLoss(),
        F.cross_entropy,
    ],
    ids=["class-weights-ignore-index", "sum", "nll", "functional"],
)
def test_sample_weights_with_a_torch_loss_follow_its_reduction(loss):
    x, y = _blobs(n=40)
    model = tk.Model(nn.Sequential(_net(), nn.LogSoftmax(-1)) if isinstance(loss, nn.NLLLoss) else _net())
    model.compile("sgd", loss=loss)
    logits, labels = _outputs(model, x), torch.as_tensor(y)
    unweighted = loss(logits, labels).item()
    ones = np.ones(len(x), "float32")
    assert model.evaluate(x, y, sample_weight=ones, batch_size=len(x), verbose=0) == pytest.approx(
        unweighted, rel=1e-5
    )
    weights = np.random.default_rng(1).uniform(0, 2, len(x)).astype("float32")
    per_sample = F.cross_entropy(logits, labels, reduction="none")
    if isinstance(loss, nn.NLLLoss):
        per_sample = F.nll_loss(logits, labels, reduction="none")
    if getattr(loss, "weight", None) is not None:
        per_sample = F.cross_entropy(logits, labels, weight=loss.weight, ignore_index=1, reduction="none")
        denominator = (loss.weight[labels] * (labels != 1)).sum().item()
    else:
        denominator = 1.0 if getattr(loss, "reduction", "mean") == "sum" else len(x)
    expected = (per_sample * torch.as_tensor(weights)).sum().item() / denominator
    weighted = model.evaluate(x, y, sample_weight=weights, batch_size=len(x), verbose=0)
    assert weighted == pytest.approx(expected, rel=1e-5)
    history = model.fit(x, y, class_weight={0: 2.0, 2: 0.5}, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_torch_losses_that_cannot_compile_fail_at_compile_and_change_nothing():
    model = tk.Model(_net())
    model.compile("adam", loss=nn.CrossEntropyLoss(), metrics=["accuracy"])
    before = (model.optimizer, model.loss, model._compile_loss, model._compile_metrics, model.compiled)
    with pytest.raises(ValueError, match="reduction='none'"):
        model.compile("sgd", loss=nn.CrossEntropyLoss(reduction="none"))
    with pytest.raises(ValueError, match="MarginRankingLoss takes more arguments"):
        model.compile("sgd", loss=nn.MarginRankingLoss())
    with pytest.raises(ValueError, match="Did you mean"):
        model.compile("sgd", loss="mse", metrics=["mea"])  # the optimizer and loss were fine
    with pytest.raises(ValueError, match="`loss` must be a name"):
        model.compile("sgd", loss=3)
    after = (model.optimizer, model.loss, model._compile_loss, model._compile_metrics, model.compiled)
    assert all(a is b for a, b in zip(before, after))


# ------------------------------------------------------------------ custom steps, small rules


def _keras_guide_model(library, base):
    class CustomModel(base):
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            weights = list(self.trainable_weights)
            with torch.no_grad():
                self.optimizer.apply([w.value.grad for w in weights], weights)
            return self._update(loss, y, y_pred)

        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            return self._update(self.compute_loss(y=y, y_pred=y_pred), y, y_pred)

        def _update(self, loss, y, y_pred):
            for metric in self.metrics:  # Keras's documented torch pattern
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = library.Input((3,))
    return CustomModel(inputs, library.layers.Dense(1)(inputs))


def test_custom_steps_looping_over_self_metrics_see_compiled_metrics(keras):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1).astype("float32")
    ours, theirs = _keras_guide_model(tk, tk.Model), _keras_guide_model(keras, keras.Model)
    ours.set_weights(theirs.get_weights())
    for model, library in ((ours, tk), (theirs, keras)):
        model.compile(library.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    h_ours = ours.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    h_theirs = theirs.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    assert set(h_ours) == set(h_theirs) == {"loss", "mae"}
    for key in h_theirs:
        np.testing.assert_allclose(h_ours[key], h_theirs[key], rtol=1e-5)
    result = ours.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    np.testing.assert_allclose(result, theirs.evaluate(x, y, verbose=0), rtol=1e-5)
    assert ours.metrics_names == theirs.metrics_names == ["loss", "compile_metrics"]


def test_class_weight_rounds_labels_and_weighs_unlisted_classes_one(keras):
    from keras.src.trainers.data_adapters.data_adapter_utils import class_weight_to_sample_weights

    class_weight = {0: 0.5, 2: 3.0}
    for labels in (
        np.array([0, 1, 2, 3, 7, -1]),
        np.array([0.4, 0.6, 1.5, 2.49, 2.51, 9.0], "float32"),
        np.eye(4, dtype="float32")[[0, 1, 2, 3]],
        np.array([[0], [2], [3]]),
    ):
        ours = class_weights_to_sample_weights(torch.as_tensor(labels), class_weight).numpy()
        np.testing.assert_allclose(ours, class_weight_to_sample_weights(labels, class_weight))


def test_fit_without_trainable_weights_warns_and_runs():
    x, y = _blobs(n=32)
    inputs = tk.Input((4,))
    layer = tk.layers.Dense(3)
    model = tk.Model(inputs, layer(inputs))
    layer.trainable = False
    model.compile("sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    before = [w.copy() for w in model.get_weights()]
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert len(history.history["loss"]) == 2
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("training", [True, False])
def test_fit_restores_the_train_or_eval_mode_of_every_submodule(training):
    x, y = _blobs(n=32)
    net = _net()
    model = tk.Model(net)
    model.compile("sgd", loss=nn.CrossEntropyLoss())
    model.train(training)
    net[1].eval()  # a submodule the user left in eval mode
    modes = [m.training for m in model.modules()]
    model.fit(x, y, epochs=1, batch_size=16, validation_split=0.25, verbose=0)
    assert [m.training for m in model.modules()] == modes
    model.train_on_batch(x[:8], y[:8])
    assert [m.training for m in model.modules()] == modes


def test_constraints_apply_after_a_torch_optimizer_step():
    x, y = _blobs(n=64)
    inputs = tk.Input((4,))
    dense = tk.layers.Dense(3, kernel_constraint=tk.constraints.NonNeg())
    model = tk.Model(inputs, dense(inputs))
    model.compile(torch.optim.SGD(model.parameters(), lr=0.5), loss="sparse_categorical_crossentropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert dense.kernel.detach().min() >= 0
    assert dense.kernel.detach().max() > 0


# ---------------------------------------------------------------------------- torch optimizers


def _torch_model(seed=0, lr=0.01):
    net = _net(seed=seed)
    optimizer = torch.optim.Adam(
        [{"params": net[0].parameters()}, {"params": net[2].parameters(), "lr": lr / 2}], lr=lr
    )
    model = tk.Model(net)
    model.compile(optimizer, loss=nn.CrossEntropyLoss(), metrics=["accuracy"])
    return model, optimizer


def test_keras_lr_callbacks_drive_every_param_group_with_keras_semantics(keras):
    losses = [1.0, 0.9, 0.95, 0.95, 0.94, 0.97, 0.99, 0.5, 0.6, 0.7]
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    theirs.compile(keras.optimizers.SGD(0.01), "mse")
    ours, optimizer = _torch_model(lr=0.01)
    for make in (
        lambda lib: lib.callbacks.ReduceLROnPlateau(
            monitor="loss", factor=0.5, patience=1, cooldown=1, min_lr=2e-3
        ),
        lambda lib: lib.callbacks.LearningRateScheduler(lambda e, rate: rate if e < 2 else rate * 0.8),
    ):
        logs_ours, logs_theirs = [], []
        for model, logs_list, library in ((ours, logs_ours, tk), (theirs, logs_theirs, keras)):
            callback = make(library)
            callback.set_model(model)
            callback.on_train_begin()
            for epoch, loss in enumerate(losses):
                callback.on_epoch_begin(epoch)
                logs = {"loss": loss}
                callback.on_epoch_end(epoch, logs)
                logs_list.append(logs["learning_rate"])
        np.testing.assert_allclose(logs_ours, logs_theirs, rtol=1e-6)
        first, second = (group["lr"] for group in optimizer.param_groups)
        assert second == pytest.approx(first / 2, rel=1e-12)  # all groups scaled alike
        for group, lr in zip(optimizer.param_groups, (0.01, 0.005)):
            group["lr"] = lr
        theirs.optimizer.learning_rate = 0.01


@pytest.mark.parametrize("interval", ["epoch", "batch"])
def test_torch_lr_scheduler_steps_per_epoch_or_batch(interval):
    x, y = _blobs(n=32)
    model, optimizer = _torch_model(lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = model.fit(
        x,
        y,
        epochs=3,
        batch_size=8,
        verbose=0,
        callbacks=[tk.callbacks.TorchLRScheduler(scheduler, interval)],
    )
    steps = [0, 1, 2] if interval == "epoch" else [4, 8, 12]  # the rate in use at each epoch's end
    np.testing.assert_allclose(history.history["learning_rate"], [0.1 * 0.5**s for s in steps])
    assert optimizer.param_groups[1]["lr"] == pytest.approx(0.05 * 0.5 ** (3 if interval == "epoch" else 12))


def test_reduce_lr_on_plateau_scheduler_gets_the_monitored_value():
    x, y = _blobs(n=32)
    model, optimizer = _torch_model(lr=0.1)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.5, patience=0)
    callback = tk.callbacks.TorchLRScheduler(scheduler, monitor="accuracy")
    history = model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[callback])
    reference_optimizer = torch.optim.SGD([torch.zeros(1)], lr=0.1)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(
        reference_optimizer, mode="max", factor=0.5, patience=0
    )
    expected = []
    for value in history.history["accuracy"]:
        expected.append(reference_optimizer.param_groups[0]["lr"])
        reference.step(value)
    np.testing.assert_allclose(history.history["learning_rate"], expected)
    assert scheduler.best == max(history.history["accuracy"])
    with pytest.warns(UserWarning, match="not available"):
        model.fit(
            x, y, epochs=1, verbose=0, callbacks=[tk.callbacks.TorchLRScheduler(scheduler, monitor="nope")]
        )
    with pytest.raises(ValueError, match="interval"):
        tk.callbacks.TorchLRScheduler(scheduler, interval="step")


class _Interrupt(tk.callbacks.Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.at = (epoch, batch)
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise RuntimeError("interrupted")


@pytest.mark.parametrize("interval, save_freq", [("epoch", "epoch"), ("batch", 3)])
def test_backup_and_restore_resumes_torch_adam_and_scheduler_exactly(tmp_path, interval, save_freq):
    x, y = _blobs(n=48)

    def run(callbacks, epochs=4):
        model, optimizer = _torch_model(seed=3, lr=0.05)
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.8)
        driver = tk.callbacks.TorchLRScheduler(scheduler, interval)
        model.fit(x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0, callbacks=[*callbacks, driver])
        return model, optimizer, scheduler

    reference, ref_optimizer, ref_scheduler = run([])
    backup = lambda: tk.callbacks.BackupAndRestore(tmp_path / "backup", save_freq=save_freq)  # noqa: E731
    with pytest.raises(RuntimeError, match="interrupted"):
        run([backup(), _Interrupt(2, 4)])
    resumed, optimizer, scheduler = run([backup()])
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert scheduler.state_dict() == ref_scheduler.state_dict()
    assert [g["lr"] for g in optimizer.param_groups] == [g["lr"] for g in ref_optimizer.param_groups]
    for state, ref_state in zip(optimizer.state.values(), ref_optimizer.state.values()):
        for key in ref_state:
            np.testing.assert_allclose(state[key].numpy(), ref_state[key].numpy(), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("filename", ["m.weights.safetensors", "m.weights.h5", "m.safetensors"])
def test_torch_optimizer_state_is_saved_as_tensors_and_json(tmp_path, filename):
    if filename.endswith(".h5"):
        pytest.importorskip("h5py")
    x, y = _blobs(n=32)
    inputs = tk.Input((4,))
    model = tk.Model(inputs, tk.layers.Dense(3)(tk.layers.Dense(8, activation="relu")(inputs)))
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.02, betas=(0.8, 0.95))
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    model.compile(optimizer, loss=nn.CrossEntropyLoss())
    callbacks = [tk.callbacks.TorchLRScheduler(scheduler, monitor="loss")]
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=callbacks)
    path = str(tmp_path / filename)
    if filename == "m.safetensors":
        with pytest.warns(UserWarning, match="not a Keras optimizer"):
            model.save(path)
        restored = tk.models.load_model(path)
    else:
        model.save_weights(path)
        restored = tk.models.clone_model(model)
    new_optimizer = torch.optim.AdamW(restored.parameters(), lr=1.0)
    new_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(new_optimizer)
    restored.compile(new_optimizer, loss=nn.CrossEntropyLoss())
    tk.callbacks.TorchLRScheduler(new_scheduler, monitor="loss")
    restored.load_weights(path)
    assert new_optimizer.state_dict()["param_groups"] == optimizer.state_dict()["param_groups"]
    assert new_scheduler.state_dict() == scheduler.state_dict()
    for (_, ours), (_, theirs) in zip(
        sorted(new_optimizer.state_dict()["state"].items()), sorted(optimizer.state_dict()["state"].items())
    ):
        for key in theirs:
            assert torch.equal(ours[key], theirs[key])


# ------------------------------------------------------------------ models that return their loss


@dataclasses.dataclass
class _Output:
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden: torch.Tensor | None = None


_Pair = collections.namedtuple("_Pair", ["loss", "scores"])


class _LossReturning(nn.Module):
    """HuggingFace style: keyword inputs, labels optional, the loss computed inside."""

    def __init__(self, kind="dataclass"):
        super().__init__()
        torch.manual_seed(0)
        self.body, self.head, self.kind = nn.Linear(4, 16), nn.Linear(16, 3), kind

    def forward(self, features, labels=None):
        hidden = torch.relu(self.body(features))
        logits = self.head(hidden)
        loss = None if labels is None else F.cross_entropy(logits, labels.long())
        if self.kind == "dict":
            return {"loss": loss, "logits": logits}
        if self.kind == "namedtuple":
            return _Pair(loss, logits)
        return _Output(loss, logits, hidden)


@pytest.mark.parametrize("kind", ["dataclass", "dict", "namedtuple"])
def test_model_returning_its_loss_trains_from_dict_batches(kind):
    x, y = _blobs()
    model = tk.Model(_LossReturning(kind))
    model.compile(tk.optimizers.Adam(0.05), metrics=["accuracy"])  # no loss: the model has one
    history = model.fit({"features": x, "labels": y}, epochs=6, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8  # labels for metrics come from the batch
    logits = model.predict({"features": x}, verbose=0)  # no labels: loss is None
    assert logits.shape == (len(x), 3)
    expected = F.cross_entropy(torch.as_tensor(logits), torch.as_tensor(y)).item()
    loss, accuracy = model.evaluate({"features": x, "labels": y}, batch_size=len(x), verbose=0)
    assert loss == pytest.approx(expected, rel=1e-5)
    assert accuracy == pytest.approx(float((logits.argmax(-1) == y).mean()))


def test_dict_batches_from_a_dataloader_feed_keyword_arguments():
    x, y = _blobs(n=64)

    class Records(torch.utils.data.Dataset):
        def __len__(self):
            return len(x)

        def __getitem__(self, i):
            return {"features": torch.as_tensor(x[i]), "labels": torch.as_tensor(y[i])}

    model = tk.Model(_LossReturning())
    model.compile("adam")
    history = model.fit(torch.utils.data.DataLoader(Records(), batch_size=16), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_prediction_key_chooses_what_metrics_and_predict_see():
    x, y = _blobs(n=32)
    model = tk.Model(_LossReturning(), prediction_key="hidden")
    model.compile("adam")
    assert model.predict({"features": x}, verbose=0).shape == (32, 16)
    model.prediction_key = "logits"
    assert model.predict({"features": x}, verbose=0).shape == (32, 3)
    model.prediction_key = "probabilities"
    with pytest.raises(ValueError, match="prediction_key='probabilities'.*'hidden', 'logits', 'loss'"):
        model.predict({"features": x}, verbose=0)
    # With a compiled loss and labels y, the loss is the compiled one, on the predictions.
    model.prediction_key = None
    model.compile("sgd", loss=nn.CrossEntropyLoss())
    logits = model.predict({"features": x}, verbose=0)
    expected = F.cross_entropy(torch.as_tensor(logits), torch.as_tensor(y)).item()
    assert model.evaluate({"features": x}, y, batch_size=32, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_batches_that_cannot_be_unpacked_say_how_they_were_read():
    x, y = _blobs(n=32)
    model = tk.Model(_net())
    model.compile("adam", loss=nn.CrossEntropyLoss())
    batches = [(x[:8], y[:8], np.ones(8, "float32"), np.ones(8, "float32"))]
    with pytest.raises(ValueError, match=r"read as \(x, y, sample_weight\).*several inputs"):
        model.fit(iter(batches), epochs=1, verbose=0)

    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(8, 3)

        def forward(self, a, b):
            return self.linear(torch.cat([a, b], -1))

    model = tk.Model(TwoInputs())
    model.compile("adam", loss=nn.CrossEntropyLoss())
    with pytest.raises(
        TypeError, match=r"cannot take 1 positional input.*\(x, y, sample_weight\).*\(x1, x2\)"
    ):
        model.fit(iter([(x[:8], x[:8], y[:8])]), epochs=1, verbose=0)  # read as x, y, sample_weight
    history = model.fit(iter([((x[:8], x[:8]), y[:8])]), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_model_checkpoint_keeps_torch_optimizer_state_and_keras_optimizers_skip_it(tmp_path):
    x, y = _blobs(n=32)
    model, optimizer = _torch_model()
    path = str(tmp_path / "best.weights.safetensors")
    model.fit(
        x,
        y,
        epochs=2,
        batch_size=8,
        verbose=0,
        callbacks=[tk.callbacks.ModelCheckpoint(path, monitor="loss", save_weights_only=True)],
    )
    saved = {key: value.clone() for key, value in optimizer.state[next(iter(optimizer.state))].items()}
    restored, new_optimizer = _torch_model(seed=5)
    restored.load_weights(path)
    for key, value in saved.items():
        assert torch.equal(new_optimizer.state[next(iter(new_optimizer.state))][key], value)
    keras_compiled = tk.Model(_net(seed=6))
    keras_compiled.compile("adam", loss=nn.CrossEntropyLoss())
    keras_compiled.fit(x, y, epochs=1, verbose=0)
    with pytest.warns(UserWarning, match="saved from a torch.optim optimizer"):
        keras_compiled.load_weights(path)  # the weights load; the foreign optimizer state is skipped
    for a, b in zip(keras_compiled.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)
