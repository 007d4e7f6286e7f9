"""`evaluate` groups the loss and metric updates of consecutive batches when nothing can tell.

Each case compares a grouped run with the same run made batch by batch (grouping switched off),
and counts how often the compiled loss runs: once per group when grouped, once per batch when
anything could see the difference.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras.trainers import compile_utils, grouped_updates


def _per_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        grouped_updates.GroupedTestSteps, "for_run", classmethod(lambda cls, model, cb, in_memory=False: None)
    )


@pytest.fixture
def loss_calls(monkeypatch: pytest.MonkeyPatch) -> list:
    """The batch sizes the compiled loss is called with."""
    calls = []
    original = compile_utils.CompileLoss.__call__

    def counting(self, y_true, y_pred, sample_weight=None):
        calls.append(y_pred.shape[0])
        return original(self, y_true, y_pred, sample_weight)

    monkeypatch.setattr(compile_utils.CompileLoss, "__call__", counting)
    return calls


def _classifier(classes: int = 3) -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(classes)]
    )


def _both(model, monkeypatch, *args, **kwargs):
    grouped = model.evaluate(*args, verbose=0, return_dict=True, **kwargs)
    with monkeypatch.context() as patch:
        _per_batch(patch)
        per_batch = model.evaluate(*args, verbose=0, return_dict=True, **kwargs)
    return grouped, per_batch


def _assert_same(grouped: dict, per_batch: dict) -> None:
    assert grouped.keys() == per_batch.keys()
    for key in grouped:
        np.testing.assert_allclose(grouped[key], per_batch[key], rtol=2e-6, atol=1e-7, err_msg=key)


CASES = {
    "sparse classification, weighted": dict(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)],
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="weighted_acc")],
        labels=lambda rng, n: rng.integers(0, 3, n),
        weights=True,
    ),
    "one-hot classification": dict(
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics=["categorical_accuracy", keras.metrics.AUC(from_logits=True), keras.metrics.Precision()],
        labels=lambda rng, n: np.eye(3, dtype="float32")[rng.integers(0, 3, n)],
        weights=False,
    ),
    "regression": dict(
        loss="mse",
        metrics=["mae", keras.metrics.RootMeanSquaredError(), keras.metrics.R2Score()],
        labels=lambda rng, n: rng.normal(size=(n, 3)).astype("float32"),
        weights=True,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_grouped_results_match_batch_by_batch(case, monkeypatch, loss_calls):
    spec = CASES[case]
    rng = np.random.default_rng(1)
    n = 203  # 7 batches of 32, the last partial
    x = rng.normal(size=(n, 6)).astype("float32")
    y = spec["labels"](rng, n)
    weights = rng.random(n).astype("float32") if spec["weights"] else None
    model = _classifier()
    model.compile(
        optimizer="adam",
        loss=spec["loss"],
        metrics=spec["metrics"],
        weighted_metrics=spec.get("weighted_metrics"),
    )
    model.evaluate(x[:32], y[:32], verbose=0)  # builds the loss and metrics
    loss_calls.clear()
    grouped, per_batch = _both(model, monkeypatch, x, y, sample_weight=weights, batch_size=32)
    _assert_same(grouped, per_batch)
    assert loss_calls == [n] + [32] * 6 + [11]  # one update for the grouped run, then batch by batch


def test_first_run_builds_on_a_batch_then_groups(loss_calls):
    rng = np.random.default_rng(2)
    model = _classifier()
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.evaluate(
        rng.normal(size=(100, 6)).astype("float32"), rng.integers(0, 3, 100), batch_size=10, verbose=0
    )
    assert loss_calls == [10, 90]  # the first batch builds the loss and metrics


def test_sequences_and_changing_shapes_split_groups(monkeypatch, loss_calls):
    """Batches that do not concatenate (here: sequences of another length) start a new group."""
    rng = np.random.default_rng(3)
    model = keras.Sequential([keras.Input((None, 4)), keras.layers.Dense(5)])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    batches = [
        (
            torch.tensor(rng.normal(size=(8, length, 4)), dtype=torch.float32),
            torch.tensor(rng.integers(0, 5, (8, length))),
        )
        for length in (3, 3, 3, 7, 7, 3)
    ]
    model.evaluate(iter(batches[:1]), verbose=0)
    loss_calls.clear()
    grouped = model.evaluate(iter(batches), verbose=0, return_dict=True)
    calls = list(loss_calls)
    with monkeypatch.context() as patch:
        _per_batch(patch)
        per_batch = model.evaluate(iter(batches), verbose=0, return_dict=True)
    _assert_same(grouped, per_batch)
    assert calls == [24, 16, 8]


class _Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_test_batch_end(self, batch, logs=None):
        self.seen.append(float(logs["loss"]))


def _ungrouped(model, x, y, loss_calls, **kwargs) -> None:
    loss_calls.clear()
    model.evaluate(x, y, batch_size=10, verbose=0, **kwargs)
    assert loss_calls == [10] * 4, "expected one loss update per batch"


def _data(classes: int = 3):
    rng = np.random.default_rng(4)
    return rng.normal(size=(40, 6)).astype("float32"), rng.integers(0, classes, 40)


def test_a_callback_reading_batch_logs_sees_every_batch(loss_calls):
    x, y = _data()
    model = _classifier()
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    recorder = _Recorder()
    _ungrouped(model, x, y, loss_calls, callbacks=[recorder])
    assert len(set(recorder.seen)) == 4  # a running mean, one value per batch


def test_user_functions_and_overrides_are_updated_batch_by_batch(loss_calls):
    x, y = _data()

    def batch_mean_error(y_true, y_pred):  # a scalar per batch: its mean depends on batch bounds
        return torch.mean(torch.abs(y_pred.argmax(-1).float() - y_true.float()))

    model = _classifier()
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=[batch_mean_error]
    )
    _ungrouped(model, x, y, loss_calls)

    def user_loss(y_true, y_pred):
        return keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)

    model = _classifier()
    model.compile(loss=user_loss)
    _ungrouped(model, x, y, loss_calls)

    model = _classifier()
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0))
    _ungrouped(model, x, y, loss_calls)

    class Custom(keras.Sequential):
        def compute_loss(self, *args, **kwargs):
            return super().compute_loss(*args, **kwargs)

    model = Custom([keras.Input((6,)), keras.layers.Dense(3)])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    _ungrouped(model, x, y, loss_calls)


def test_added_losses_and_masks_are_updated_batch_by_batch(loss_calls):
    x, y = _data()
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(3, activity_regularizer=keras.regularizers.L2(0.1))]
    )
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    _ungrouped(model, x, y, loss_calls)

    tokens = np.random.default_rng(5).integers(0, 5, (40, 4))
    masked = keras.Sequential(
        [
            keras.Input((4,), dtype="int64"),
            keras.layers.Embedding(5, 3, mask_zero=True),
            keras.layers.Dense(2),
        ]
    )
    masked.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    _ungrouped(masked, tokens, tokens % 2, loss_calls)


def test_progress_bar_logs_read_the_group_first(monkeypatch, loss_calls):
    """The progress bar reads the logs it is given: grouped steps still show the running values,
    and the final line is the per-batch one."""
    x, y = _data()
    model = _classifier()
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.evaluate(x[:10], y[:10], verbose=0)
    loss_calls.clear()
    grouped, printed = io.StringIO(), io.StringIO()
    with redirect_stdout(grouped):
        model.evaluate(x, y, batch_size=10, verbose=2)
    assert sum(loss_calls) == 40 and len(loss_calls) < 4
    with monkeypatch.context() as patch, redirect_stdout(printed):
        _per_batch(patch)
        model.evaluate(x, y, batch_size=10, verbose=2)
    assert grouped.getvalue().split()[-4:] == printed.getvalue().split()[-4:]


def test_grouped_logs_are_the_results_when_read(monkeypatch):
    """A grouped step's logs hold the results of every batch up to it, read when first asked."""
    x, y = _data()
    model = _classifier()
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.evaluate(x[:10], y[:10], verbose=0)
    model.reset_metrics()
    steps = grouped_updates.GroupedTestSteps(model)
    model.eval()
    with torch.no_grad():
        first = steps((torch.tensor(x[:10]), torch.tensor(y[:10])))
        second = steps((torch.tensor(x[10:20]), torch.tensor(y[10:20])))
        second_loss = float(second["loss"])
        first_loss = float(first["loss"])  # read later: already flushed with both batches
    model.reset_metrics()
    with torch.no_grad():
        model.test_step((torch.tensor(x[:20]), torch.tensor(y[:20])))
    expected = float(model.get_metrics_result()["loss"])
    np.testing.assert_allclose([first_loss, second_loss], [expected, expected], rtol=1e-6)
    second["extra"] = 1.0  # logs stay writable, as a dict
    assert second["extra"] == 1.0


def test_groups_are_bounded_in_memory(monkeypatch, loss_calls):
    monkeypatch.setattr(grouped_updates, "MAX_GROUP_ELEMENTS", 100)  # 25 samples: 1 label + 3 logits each
    x, y = _data()
    model = _classifier()
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.evaluate(x[:10], y[:10], verbose=0)
    loss_calls.clear()
    model.evaluate(x, y, batch_size=10, verbose=0)
    assert loss_calls == [20, 20]


def test_jit_compiled_steps_are_not_grouped(loss_calls):
    x, y = _data()
    model = _classifier()
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=True)
    assert grouped_updates.GroupedTestSteps.for_run(model, keras.callbacks.CallbackList([])) is None


def test_reused_batch_and_output_memory_is_copied(monkeypatch, loss_calls):
    """A generator that refills one batch buffer in place, and a wrapped module that writes its
    outputs into one tensor (as CUDA graphs do): the group keeps copies, not references."""
    x, y = _data()
    batch_x, batch_y = torch.empty(10, 6), torch.empty(10, dtype=torch.int64)

    def refilled():
        for start in range(0, 40, 10):
            batch_x.copy_(torch.from_numpy(x[start : start + 10]))
            batch_y.copy_(torch.from_numpy(y[start : start + 10]))
            yield batch_x, batch_y

    class StaticOutput(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(6, 3)
            self.register_buffer("out", torch.zeros(10, 3))

        def forward(self, inputs):
            return self.out.copy_(self.linear(inputs))

    for model in (_classifier(), keras.Model(StaticOutput())):
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        model.evaluate(x[:10], y[:10], verbose=0)
        loss_calls.clear()
        grouped = model.evaluate(refilled(), verbose=0, return_dict=True)
        assert loss_calls == [40]  # one group
        with monkeypatch.context() as patch:
            _per_batch(patch)
            per_batch = model.evaluate(refilled(), verbose=0, return_dict=True)
        _assert_same(grouped, per_batch)


def test_a_lambda_layer_writing_one_tensor_is_copied_on_in_memory_data(monkeypatch, loss_calls):
    x, y = _data()
    static = torch.zeros(100, 3)  # each batch's output is written to its first rows
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(3), keras.layers.Lambda(lambda t: static[: len(t)].copy_(t))]
    )
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.evaluate(x[:10], y[:10], verbose=0)
    loss_calls.clear()
    grouped = model.evaluate(x, y, batch_size=10, verbose=0, return_dict=True)
    assert loss_calls == [40]
    with monkeypatch.context() as patch:
        _per_batch(patch)
        per_batch = model.evaluate(x, y, batch_size=10, verbose=0, return_dict=True)
    _assert_same(grouped, per_batch)


def test_one_value_per_sample_and_other_axes_are_updated_batch_by_batch(monkeypatch, loss_calls):
    """With outputs of rank 1, Keras's per-sample functions reduce the batch axis: a correlation
    or a mean per batch, averaged over batches. Those runs are not grouped, nor is a loss over
    another axis."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(45, 6)).astype("float32")
    y = (rng.random(45) > 0.5).astype("float32")

    class Flat(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(6, 1)

        def forward(self, inputs):
            return self.linear(inputs).squeeze(-1)

    model = keras.Model(Flat())
    model.compile(
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.PearsonCorrelation(), keras.metrics.MeanSquaredError()],
    )
    model.evaluate(x[:10], y[:10], verbose=0)
    loss_calls.clear()
    grouped, per_batch = _both(model, monkeypatch, x, y, batch_size=10)
    _assert_same(grouped, per_batch)
    assert loss_calls == [10, 10, 10, 10, 5] * 2

    model = _classifier()
    model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True, axis=0))
    x, y = _data()
    _ungrouped(model, x, np.eye(3, dtype="float32")[y], loss_calls)


def test_losses_pooling_the_batch_are_updated_batch_by_batch_and_per_sample_dice_groups(
    monkeypatch, loss_calls
):
    """`Dice` with its default `axis=None` pools the whole batch; with `axis=-1` it is computed
    per sample, so batches group and give the same value."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, 6)).astype("float32")
    y = (rng.random((40, 3)) > 0.5).astype("float32")
    model = _classifier()
    model.compile(loss=keras.losses.Dice())
    _ungrouped(model, x, y, loss_calls)
    model.compile(loss=keras.losses.Dice(axis=-1))
    model.evaluate(x[:10], y[:10], verbose=0)
    loss_calls.clear()
    grouped, per_batch = _both(model, monkeypatch, x, y, batch_size=10)
    _assert_same(grouped, per_batch)
    assert loss_calls == [40] + [10] * 4
