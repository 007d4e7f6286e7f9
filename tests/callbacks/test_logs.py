"""pythonify_logs / format_log_value: plain Python values from tensor logs, as Keras's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchkeras.callbacks.logs import format_log_value, pythonify_logs


def test_matches_keras(keras):
    from keras.src.utils.python_utils import pythonify_logs as keras_pythonify

    logs = {
        "val_loss": torch.tensor(0.5),
        "loss": torch.tensor(0.25, dtype=torch.float64),
        "count": torch.tensor(3),
        "nested": {"mae": 0.125, "b": np.float32(2.0)},
        "lr": 1,
        "name": "adam",
        "vector": np.array([1.0, 2.0]),
    }
    ours, theirs = pythonify_logs(logs), keras_pythonify(logs)
    vector = ours.pop("vector")
    np.testing.assert_array_equal(vector, theirs.pop("vector"))
    assert list(ours) == list(theirs)
    assert ours == theirs
    assert all(type(value) is float for key, value in ours.items() if key != "name")


def test_non_scalar_tensor_becomes_numpy():
    out = pythonify_logs(
        {"outputs": torch.arange(6.0).reshape(2, 3), "bf16": torch.ones(2, dtype=torch.bfloat16)}
    )
    np.testing.assert_array_equal(out["outputs"], np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(out["bf16"], np.ones(2, "float32"))


def test_keeps_float64_precision():
    assert pythonify_logs({"x": torch.tensor(0.1, dtype=torch.float64)})["x"] == 0.1


def test_empty():
    assert pythonify_logs(None) == {} and pythonify_logs({}) == {}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_tensors():
    logs = {
        "loss": torch.tensor(0.5, device="cuda"),
        "accuracy": torch.tensor(0.25, device="cuda", dtype=torch.float16),
    }
    assert pythonify_logs(logs) == {"accuracy": 0.25, "loss": 0.5}
    mixed = {"loss": torch.tensor(0.5, device="cuda"), "cpu": torch.tensor(1.5)}
    assert pythonify_logs(mixed) == {"cpu": 1.5, "loss": 0.5}


@pytest.mark.parametrize(
    "value, text",
    [
        (0.123456, "0.1235"),
        (-2.5, "-2.5000"),
        (0.0001, "1.0000e-04"),
        (0.0, "0.0000e+00"),
        (torch.tensor(1.0), "1.0000"),
        ("x", "x"),
    ],
)
def test_format_log_value(value, text):
    assert format_log_value(value) == text
