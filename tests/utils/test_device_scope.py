"""`keras.device`: tensors and variables created inside the scope land on its device."""

import numpy as np
import pytest
import torch

import torchkeras as tk


def test_variables_and_weights_are_placed_on_the_scope_device():
    # "meta" stands in for an accelerator: a device other than the default.
    with tk.device("meta") as placed:
        v = tk.Variable(initializer="zeros", shape=(2,))
        layer = tk.layers.Dense(3)
        layer.build((None, 2))
        array = tk.ops.convert_to_tensor(np.ones(2, "float32"))
    assert placed == torch.device("meta")
    assert v.device.type == layer.kernel.device.type == array.device.type == "meta"
    with tk.device("cpu"):
        assert torch.zeros(1).device.type == "cpu"
    assert torch.zeros(1).device.type == "cpu"  # restored


def test_keras_device_names_are_accepted():
    with tk.device("CPU:0") as placed:
        assert placed == torch.device("cpu", 0)
    if torch.cuda.is_available():
        with tk.device("gpu:0") as placed:
            assert placed == torch.device("cuda", 0)
            assert torch.zeros(1).device == placed


def test_bad_names_raise():
    with pytest.raises(ValueError, match="device_name"), tk.device(3):
        pass
    with pytest.raises(ValueError, match="device_name"), tk.device("toaster"):
        pass
