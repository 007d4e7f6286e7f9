"""`jit_compile=True` and `torch.compile(model)`: each step compiles once, without graph breaks in
the layers.

Dynamo runs for real (guards, graph breaks, recompiles); a counting backend stands in for
Inductor so the tests stay fast. What it counts is what Inductor would be asked to compile.
"""

import numpy as np
import pytest
import torch
from torch._dynamo.utils import counters

import torchkeras as tk

L = tk.layers


@pytest.fixture
def graphs(monkeypatch):
    """The FX graphs Dynamo hands to the backend (one per compile or recompile)."""
    found = []

    def backend(graph_module, example_inputs):
        found.append(graph_module)
        return graph_module.forward

    real_compile = torch.compile

    def counting_compile(function=None, **kwargs):
        kwargs["backend"] = backend
        return real_compile(function, **kwargs)

    monkeypatch.setattr(torch, "compile", counting_compile)
    torch._dynamo.reset()
    counters.clear()
    yield found
    torch._dynamo.reset()


def _data(n, seed=0, tokens=False):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 20, (n, 6)) if tokens else rng.normal(size=(n, 8)).astype("float32")
    return x, rng.integers(0, 3, n)


def _model(kind="mlp"):
    """Standard layers whose training and inference differ (BatchNormalization, Dropout), or an
    attention encoder."""
    if kind == "mlp":
        return tk.Sequential(
            [
                tk.Input((8,)),
                L.Dense(16, activation="relu"),
                L.BatchNormalization(),
                L.Dropout(0.25),
                L.LayerNormalization(),
                L.Dense(3),
            ]
        )
    tokens = tk.Input((6,), dtype="int64")
    sequence = L.Embedding(20, 8)(tokens)
    attended = L.MultiHeadAttention(num_heads=2, key_dim=4)(sequence, sequence)
    encoded = L.LayerNormalization()(L.Add()([sequence, L.Dropout(0.25)(attended)]))
    return tk.Model(tokens, L.Dense(3)(L.GlobalAveragePooling1D()(encoded)))


def _compiled(model):
    model.compile(
        "adam",
        tk.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=True,
    )
    return model


def _graph_breaks():
    """Graph-break reasons other than the eager gradient update (`_apply_gradients`)."""
    return [reason for reason in counters["graph_break"] if "_apply_gradients" not in reason]


@pytest.mark.parametrize("kind", ["mlp", "attention"])
def test_each_step_kind_compiles_once_then_never_again(graphs, kind):
    x, y = _data(96, tokens=kind == "attention")  # three full batches of 32
    model = _compiled(_model(kind))
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    # The train step is two graphs: forward, loss and loss tracker; then, after the eager update,
    # the metrics.
    assert len(graphs) == 2
    model.evaluate(x, y, batch_size=32, verbose=0)
    assert len(graphs) == 3  # one test graph
    model.predict(x, batch_size=32, verbose=0)
    assert len(graphs) == 4  # one predict graph
    assert _graph_breaks() == []
    # Any recompile from here on raises: new data, epochs, validation, repeated calls.
    with torch._dynamo.config.patch(error_on_recompile=True):
        model.fit(x, y, batch_size=32, epochs=3, verbose=0, validation_data=(x[:64], y[:64]))
        model.evaluate(x[::-1].copy(), y, batch_size=32, verbose=0)
        model.predict(x, batch_size=32, verbose=0)
    assert len(graphs) == 4


def test_partial_last_batch_adds_one_graph_per_graph(graphs):
    x, y = _data(80)  # batches of 32, 32, 16
    model = _compiled(_model())
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert len(graphs) == 4  # the train step's two graphs, for each batch size
    model.evaluate(x, y, batch_size=32, verbose=0)
    assert len(graphs) == 6
    model.predict(x, batch_size=32, verbose=0)
    assert len(graphs) == 8
    with torch._dynamo.config.patch(error_on_recompile=True):
        model.fit(x, y, batch_size=32, epochs=2, verbose=0)
        model.evaluate(x, y, batch_size=32, verbose=0)
        model.predict(x, batch_size=32, verbose=0)
    assert len(graphs) == 8
    assert _graph_breaks() == []


def test_mixed_precision_steps_trace_the_policy_autocast(graphs):
    x, y = _data(64)
    tk.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = tk.Sequential(
            [
                tk.Input((8,)),
                L.Dense(16, activation="relu"),
                L.BatchNormalization(),
                L.Dense(3, dtype="float32"),
            ]
        )
    finally:
        tk.mixed_precision.set_global_policy("float32")
    _compiled(model).fit(x, y, batch_size=32, epochs=2, verbose=0)
    model.evaluate(x, y, batch_size=32, verbose=0)
    predicted = model.predict(x, batch_size=32, verbose=0)
    assert len(graphs) == 4  # train (two), test, predict: the autocast breaks no graph
    assert _graph_breaks() == []
    assert predicted.dtype == np.float32  # the float32 output layer leaves the autocast
    with torch.no_grad():
        eager = model(torch.as_tensor(x), training=False).numpy()
    np.testing.assert_allclose(predicted, eager, atol=1e-6)


@pytest.mark.parametrize("kind", ["sequential", "subclass"])
def test_torch_compile_of_an_unbuilt_model_builds_it_eagerly(graphs, kind):
    class Subclassed(tk.Model):
        def __init__(self):
            super().__init__()
            self.hidden = L.Dense(8, activation="relu")
            self.norm = L.BatchNormalization()
            self.out = L.Dense(2)

        def call(self, inputs, training=None):
            return self.out(self.norm(self.hidden(inputs), training=training))

    if kind == "sequential":
        model = tk.Sequential([L.Dense(8, activation="relu"), L.BatchNormalization(), L.Dense(2)])
    else:
        model = Subclassed()
    compiled = torch.compile(model)
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    first = compiled(x)  # built between graphs, with the real input
    assert model.built and len(model.weights) == 8
    torch.testing.assert_close(first, model(x))
    after_build = len(graphs)
    torch.testing.assert_close(compiled(x), model(x))
    assert len(graphs) == after_build + 1  # the built model, in one graph
    with torch._dynamo.config.patch(error_on_recompile=True):
        torch.testing.assert_close(compiled(x.flip(0)), model(x.flip(0)))
    assert len(graphs) == after_build + 1


def test_compiled_fit_matches_eager_fit(graphs):
    x, y = _data(64, seed=1)
    histories = []
    for jit in (False, True):
        tk.utils.set_random_seed(3)
        model = tk.Sequential([tk.Input((8,)), L.Dense(16, activation="relu"), L.Dense(3)])
        model.compile(
            "adam",
            tk.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
            jit_compile=jit,
        )
        histories.append(model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False).history)
    np.testing.assert_allclose(histories[1]["loss"], histories[0]["loss"], rtol=1e-5)
    np.testing.assert_allclose(histories[1]["accuracy"], histories[0]["accuracy"], rtol=1e-6)


def test_torch_compile_of_a_model_of_standard_layers_is_one_graph_per_training_flag(graphs):
    tokens = tk.Input((6,), dtype="int64")
    sequence = L.Embedding(20, 8)(tokens)
    attended = L.MultiHeadAttention(num_heads=2, key_dim=4)(sequence, sequence)
    encoded = L.LayerNormalization()(L.Add()([sequence, L.Dropout(0.5)(attended)]))
    recurrent = L.LSTM(4)(encoded)
    image = L.Reshape((6, 8, 1))(encoded)
    convolved = L.Conv2D(2, 3, padding="same", activation="relu")(image)
    pooled = L.GlobalAveragePooling2D()(L.BatchNormalization()(convolved))
    outputs = L.Dense(3)(L.Concatenate()([recurrent, pooled]))
    model = tk.Model(tokens, outputs)
    x = torch.randint(0, 20, (4, 6))
    compiled = torch.compile(model, fullgraph=True)  # fullgraph: any graph break raises
    for batch in (x, x.flip(0)):  # new data, same shape: no recompile
        for training in (True, False):
            compiled(batch, training=training)
    assert len(graphs) == 2  # one per training flag
    torch.testing.assert_close(compiled(x, training=False), model(x, training=False))
