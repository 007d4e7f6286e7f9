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


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 8)).astype("float32"), rng.integers(0, 3, n)


def _model():
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


def _graph_breaks():
    """Graph-break reasons other than the eager gradient update (`_apply_gradients`)."""
    return [reason for reason in counters["graph_break"] if "_apply_gradients" not in reason]


def test_fit_evaluate_predict_compile_each_step_once(graphs):
    x, y = _data(96)
    model = _model()
    model.compile(
        "adam",
        tk.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=True,
    )
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    after_one_epoch = len(graphs)
    # The train step is two graphs: forward, loss and loss tracker; then, after the eager update,
    # the metrics.
    assert after_one_epoch == 2
    model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    assert len(graphs) == after_one_epoch  # no recompiles across steps, epochs and `fit` calls
    model.evaluate(x, y, batch_size=32, verbose=0)
    model.evaluate(x, y, batch_size=32, verbose=0)
    model.predict(x, batch_size=32, verbose=0)
    model.predict(x, batch_size=32, verbose=0)
    assert len(graphs) == after_one_epoch + 2  # one test graph, one predict graph
    assert _graph_breaks() == []


def test_partial_last_batch_adds_at_most_one_graph(graphs):
    x, _ = _data(80)  # batches of 32, 32, 16
    model = _model()
    model.compile("sgd", "mse", jit_compile=True)
    model.predict(x, batch_size=32, verbose=0)
    first = len(graphs)
    assert first <= 2
    model.predict(x, batch_size=32, verbose=0)
    assert len(graphs) == first


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
