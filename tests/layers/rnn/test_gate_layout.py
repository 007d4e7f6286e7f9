"""GateLayout: storage in torch's gate order round-trips Keras's layout exactly."""

import numpy as np
import torch

from torchkeras.layers.rnn.gate_layout import GateLayout


def test_kernel_round_trip_and_order():
    layout = GateLayout((1, 0, 2), transpose=True)
    keras_kernel = torch.arange(4 * 6, dtype=torch.float32).reshape(4, 6)  # (input_dim, 3 * units), z r h
    stored = layout.from_keras(keras_kernel)
    z, r, h = keras_kernel.chunk(3, dim=1)
    np.testing.assert_array_equal(stored.numpy(), torch.cat([r, z, h], dim=1).T.numpy())
    np.testing.assert_array_equal(layout.to_keras(stored).numpy(), keras_kernel.numpy())


def test_bias_and_general_orders():
    bias = torch.arange(2 * 9, dtype=torch.float32).reshape(2, 9)
    layout = GateLayout((2, 0, 1))
    assert layout.inverse == (1, 2, 0)
    stored = layout.from_keras(bias)
    np.testing.assert_array_equal(stored[:, :3].numpy(), bias[:, 6:].numpy())
    np.testing.assert_array_equal(layout.to_keras(stored).numpy(), bias.numpy())
