"""torchkeras.utils.numerical_utils: to_categorical and normalize against keras.utils."""

import numpy as np
import pytest
import torch

from torchkeras.utils.numerical_utils import normalize, to_categorical


@pytest.mark.parametrize(
    "x, num_classes",
    [
        ([0, 2, 1], None),
        ([0, 2, 1], 5),
        (np.array([[1], [0], [3]]), None),
        (np.array([[1], [0]]), 4),
        ([[0, 1], [2, 0]], 3),
        (3, 4),
        ([], 3),
        (np.array([1.0, 2.0]), 3),
    ],
)
def test_to_categorical_parity(keras, x, num_classes):
    expected = keras.utils.to_categorical(x, num_classes)
    result = to_categorical(x, num_classes)
    assert isinstance(result, np.ndarray) and result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("x", [torch.tensor([0, 2, 1]), torch.tensor([[1], [0], [3]])])
def test_to_categorical_tensor_parity(keras, x):
    expected = keras.utils.to_categorical(x, 4)
    result = to_categorical(x, 4)
    assert isinstance(result, torch.Tensor) and result.dtype == expected.dtype
    np.testing.assert_array_equal(result.numpy(), expected.numpy())
    np.testing.assert_array_equal(to_categorical(x).numpy(), to_categorical(x.numpy()))


def test_to_categorical_errors():
    with pytest.raises(ValueError, match="below `num_classes`.*label 5 with num_classes=3"):
        to_categorical([0, 5], 3)
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical(torch.tensor([3]), 3)
    with pytest.raises(ValueError, match=">= 0"):
        to_categorical([0, -1], 3)


@pytest.mark.parametrize(
    "x, kwargs",
    [
        (np.array([[3.0, 4.0], [0.0, 0.0]]), {}),
        (np.array([[1.0, 2.0, 2.0], [4.0, 0.0, 3.0]]), {"order": 1}),
        (np.arange(24.0).reshape(2, 3, 4), {"axis": 1}),
        (np.array([3, 4]), {}),
        (np.array([[3.0, 4.0], [1.0, 1.0]]), {"axis": None}),
    ],
)
def test_normalize_numpy_parity(keras, x, kwargs):
    expected = keras.utils.normalize(x, **kwargs)
    result = normalize(x, **kwargs)
    assert isinstance(result, np.ndarray) and result.dtype == expected.dtype
    np.testing.assert_allclose(result, expected, rtol=1e-12)


def test_normalize_axis_zero_follows_numpy():
    # Keras turns axis=0 into -1 when expanding the norm (`axis or -1`); we keep axis 0.
    x = np.array([[3.0, 1.0], [4.0, 0.0]])
    np.testing.assert_allclose(normalize(x, axis=0), x / np.linalg.norm(x, axis=0, keepdims=True))


def test_normalize_tensor_parity(keras):
    x = torch.tensor([[3.0, 4.0], [1.0, -2.0]])
    expected = keras.utils.normalize(x, axis=-1, order=2)
    result = normalize(x)
    assert isinstance(result, torch.Tensor)
    np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-6)
