"""`Operation`: one computation on tensors and on symbolic inputs; every Layer is one."""

import numpy as np
import torch

import torchkeras as tk


class Double(tk.Operation):
    def call(self, x):
        return x * 2.0


class Head(tk.Operation):
    def call(self, x):
        return x[:, :2]

    def compute_output_spec(self, x):
        return tk.KerasTensor((x.shape[0], 2), dtype=x.dtype)


def test_computes_on_tensors_and_records_symbolically():
    torch.testing.assert_close(Double()(torch.ones(2, 3)), torch.full((2, 3), 2.0))
    x = tk.Input((3,))
    y = Head()(Double()(x))
    assert y.shape == (None, 2)
    model = tk.Model(x, y)
    assert model.layers == [model.layers[0]]  # only the InputLayer: operations are not layers
    np.testing.assert_allclose(model.predict(np.ones((4, 3), "float32"), verbose=0), np.full((4, 2), 2.0))


def test_every_layer_is_an_operation(keras):
    assert isinstance(tk.layers.Dense(2), tk.Operation)
    assert issubclass(tk.layers.Dense, tk.Operation)
    assert isinstance(keras.layers.Dense(2), keras.Operation)  # as in Keras
    assert not isinstance(3, tk.Operation)
    op = Double(name="twice")
    assert op.get_config() == {"name": "twice"}
    assert Double.from_config(op.get_config()).name == "twice"
