"""`Function`: a recorded graph called on tensors, checked against Keras on the same weights."""

import numpy as np
import pytest
import torch

import torchkeras as tk


def _graph(lib):
    x = lib.Input((3,), name="x")
    z = lib.KerasTensor((None, 3)) if lib is tk else None
    dense = lib.layers.Dense(4, name="dense")
    y = lib.ops.relu(dense(x)) * 2.0
    return x, y, dense, z


def test_matches_keras_on_the_same_weights(keras):
    x, y, dense, _ = _graph(tk)
    kx, ky, kdense, _ = _graph(keras)
    kdense.set_weights(dense.get_weights())
    data = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    ours = tk.Function(x, y)(data)
    theirs = keras.Function(kx, ky)(data)
    np.testing.assert_allclose(ours.detach().numpy(), keras.ops.convert_to_numpy(theirs), rtol=1e-6)


def test_structures_symbolic_calls_and_errors():
    a, b = tk.Input((2,), name="a"), tk.Input((2,), name="b")
    total = tk.layers.Add()([a, b])
    fn = tk.Function({"a": a, "b": b}, {"sum": total, "diff": a - b})
    out = fn({"a": torch.ones(1, 2), "b": torch.full((1, 2), 3.0)})
    torch.testing.assert_close(out["sum"], torch.full((1, 2), 4.0))
    torch.testing.assert_close(out["diff"], torch.full((1, 2), -2.0))
    assert len(fn.operations) == 2 and fn.inputs == [a, b]
    spec = fn.compute_output_spec({"a": tk.Input((2,)), "b": tk.Input((2,))})
    assert spec["sum"].shape == (None, 2)
    with pytest.raises(ValueError, match="missing inputs"):
        fn({"a": torch.ones(1, 2)})
    with pytest.raises(ValueError, match="not in `inputs`"):
        tk.Function(a, total)
    with pytest.raises(ValueError, match="KerasTensors"):
        tk.Function(a, torch.ones(1))


def test_graph_from_plain_keras_tensors():
    x = tk.KerasTensor((None, 3))
    fn = tk.Function(x, tk.ops.exp(x) + 1.0)
    torch.testing.assert_close(fn(torch.zeros(2, 3)), torch.full((2, 3), 2.0))
