"""model.summary(): Keras's table, parameter totals equal to Keras's."""

import torch

import torchkeras as tk


def _lines(model, **kwargs):
    captured = []
    model.summary(print_fn=captured.append, **kwargs)
    return "\n".join(captured)


def _totals(text):
    return [line for line in text.splitlines() if "params:" in line]


def test_sequential_summary_matches_keras_totals(keras):
    def build(k):
        return k.Sequential([k.Input((4,)), k.layers.Dense(8, name="d1"), k.layers.Dense(2, name="d2")])

    ours = _lines(build(tk))
    theirs = []
    build(keras).summary(print_fn=lambda text, **_: theirs.append(text))
    assert _totals(ours) == _totals("\n".join(theirs))
    assert "d1 (Dense)" in ours and "(None, 8)" in ours and "Connected to" not in ours


def test_functional_summary_has_connections_and_nested_rows():
    a, b = tk.Input((4,), name="a"), tk.Input((3,), name="b")
    inner = tk.Sequential([tk.Input((7,)), tk.layers.Dense(2, name="inner_dense")], name="inner")
    merged = tk.ops.concatenate([tk.layers.Dense(4, name="left")(a), b], axis=-1)
    model = tk.Model([a, b], inner(merged))
    text = _lines(model, expand_nested=True, show_trainable=True)
    assert "Connected to" in text and "left (Dense)" in text and "a[0][0]" in text
    assert "inner_dense (Dense)" in text and "Trainable" in text
    assert " Total params: 36 (144.00 B)" in text


def test_wrapped_module_summary_walks_children():
    model = tk.Model(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)))
    text = _lines(model)
    assert "0 (Linear)" in text and "1 (BatchNorm1d)" in text
    assert " Trainable params: 24 (96.00 B)" in text and " Non-trainable params: 8 (32.00 B)" in text


def test_summary_of_a_sequential_holding_a_torch_module():
    model = tk.Sequential([tk.Input((4,)), tk.layers.Dense(3, name="dense"), torch.nn.ReLU()])
    text = _lines(model)
    assert "relu (ReLU)" in text and "dense (Dense)" in text and "Total params: 15" in text
