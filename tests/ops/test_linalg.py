"""torchkeras.ops.linalg: norm against keras.ops and NumPy."""

import numpy as np
import pytest
import torch

from torchkeras import ops

rng = np.random.default_rng(4)
A = rng.standard_normal((2, 3, 4)).astype("float32")
M = rng.standard_normal((3, 4)).astype("float32")
V = rng.standard_normal((5,)).astype("float32")

CASES = [
    (V, {}),
    (V, {"ord": 1}),
    (V, {"ord": np.inf}),
    (M, {}),
    (M, {"ord": "fro"}),
    (M, {"ord": "nuc"}),
    (M, {"ord": 1}),
    (M, {"axis": 1}),
    (M, {"ord": 3, "axis": 0, "keepdims": True}),
    (A, {"axis": -1}),
    (A, {"axis": (1, 2)}),
    (A, {"ord": 2, "axis": (0, 2), "keepdims": True}),
    (np.arange(6, dtype="int32").reshape(2, 3), {}),
]


@pytest.mark.parametrize("x, kwargs", CASES, ids=[str(k) for _, k in CASES])
def test_norm_parity_with_keras_and_numpy(keras, x, kwargs):
    x = torch.as_tensor(x)
    expected = keras.ops.norm(x, **kwargs)
    result = ops.norm(x, **kwargs)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    reference = np.linalg.norm(x.numpy().astype("float64"), **kwargs)
    np.testing.assert_allclose(result.numpy(), reference, rtol=1e-5, atol=1e-6)
