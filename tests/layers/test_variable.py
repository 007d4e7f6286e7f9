"""Variable layouts: Keras's view, constraints and penalties in Keras's axes."""

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras.layers.variable import Permuted, Variable


def test_permuted_layout_round_trips_and_constrains_in_keras_axes():
    keras_value = torch.arange(6.0).reshape(2, 3)  # Keras layout (in=2, out=3)
    layout = Permuted((1, 0))  # stored as (out, in)
    variable = Variable(
        layout.from_keras(keras_value).contiguous(),
        layout=layout,
        constraint=tk.constraints.MaxNorm(1.0, axis=0),
    )
    assert variable.shape == (3, 2) and variable.keras_shape == (2, 3)
    np.testing.assert_array_equal(variable.numpy(), keras_value.numpy())
    expected = tk.constraints.MaxNorm(1.0, axis=0)(keras_value)  # columns of the Keras layout
    np.testing.assert_allclose(
        layout.to_keras(variable.constrained()).detach().numpy(), expected.numpy(), rtol=1e-6
    )
    variable.assign(np.ones((2, 3)))
    assert torch.equal(variable.detach(), torch.ones(3, 2))
    assert variable.keras_view().requires_grad


def test_numpy_called_torchs_way_returns_the_stored_tensor():
    # torch's tools (the ONNX exporter) call `param.numpy(force=True)` and expect torch's layout.
    import torchkeras as keras

    layer = keras.layers.Conv2D(4, 3)
    layer.build((None, 5, 5, 2))
    kernel = layer.kernel
    assert kernel.numpy().shape == (3, 3, 2, 4)  # Keras's layout
    stored = kernel.numpy(force=True)
    assert stored.shape == tuple(torch.Tensor(kernel).shape)
    np.testing.assert_array_equal(stored, kernel.detach().cpu().numpy())


def test_keras_constructor_matches_keras(keras):
    rng = np.random.default_rng(0)
    value = rng.normal(size=(2, 3)).astype("float32")
    cases = [
        {"initializer": value, "name": "w"},
        {"initializer": "ones", "shape": (2, 3), "dtype": "float32"},
        {"initializer": 3, "trainable": False},
        {"initializer": 2.5},
    ]
    for kwargs in cases:
        ours, theirs = tk.Variable(**kwargs), keras.Variable(**kwargs)
        np.testing.assert_array_equal(ours.numpy(), keras.ops.convert_to_numpy(theirs))
        assert tk.config.standardize_dtype(ours.dtype) == theirs.dtype
        assert ours.trainable == theirs.trainable
        if "name" in kwargs:
            assert (ours.name, ours.path) == (theirs.name, theirs.path)
        else:  # an automatic unique name, as Keras's `variable`, `variable_1`, ...
            assert ours.name.startswith("variable") and ours.path == ours.name


def test_keras_constructor_errors_and_layer_tracking():
    with pytest.raises(ValueError, match="shape"):
        tk.Variable("zeros")
    with pytest.raises(ValueError, match="shape"):
        tk.Variable(np.ones(3), shape=(2,))
    with pytest.raises(ValueError, match="name"):
        tk.Variable(1.0, name="a/b")

    class Scale(tk.layers.Layer):
        def __init__(self):
            super().__init__()
            self.factor = tk.Variable(initializer=2.0, name="factor")

        def call(self, x):
            return x * self.factor

    layer = Scale()
    assert [w.name for w in layer.trainable_weights] == ["factor"]
    np.testing.assert_allclose(layer(torch.ones(2)).detach().numpy(), [2.0, 2.0])
