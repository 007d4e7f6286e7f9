"""Softmax layer: parity with Keras on axes and masks, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.activations import Softmax

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("axis", [-1, 1, [1, 2], (-1,)])
def test_parity(keras, axis):
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    check_layer(lambda: Softmax(axis), x, lambda: keras.layers.Softmax(axis))


@pytest.mark.parametrize("mask_shape", [(2, 3, 4), (2, 1, 4), (4,)])
@pytest.mark.parametrize("as_float", [False, True])
def test_mask_parity(keras, mask_shape, as_float):
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    mask = RNG.random(mask_shape) > 0.4
    mask_value = mask.astype("float32") if as_float else mask
    ours = Softmax()(torch.as_tensor(x), mask=torch.as_tensor(mask_value))
    theirs = keras.layers.Softmax()(x, mask=mask_value)
    np.testing.assert_allclose(ours.numpy(), theirs.cpu().numpy(), rtol=1e-6, atol=1e-7)
    assert np.all(ours.numpy()[np.broadcast_to(~mask, x.shape)] == 0)


def test_mask_from_previous_layer_and_float16():
    x = torch.randn(2, 3)
    x._keras_mask = torch.tensor([[True, True, False], [True, False, False]])
    output = Softmax()(x)
    torch.testing.assert_close(output[1], torch.tensor([1.0, 0.0, 0.0]))
    assert torch.equal(output._keras_mask, x._keras_mask)
    half = Softmax(dtype="float16")(torch.randn(2, 3).half(), mask=torch.tensor([True, False, True]))
    assert half.dtype == torch.float16 and torch.all(half[:, 1] == 0)


def test_errors():
    with pytest.raises(ValueError, match="broadcastable"):
        Softmax()(torch.ones(2, 3), mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="broadcastable"):
        Softmax()(torch.ones(2, 3), mask=torch.ones(1, 2, 3, dtype=torch.bool))
