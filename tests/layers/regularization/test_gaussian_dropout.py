"""GaussianDropout: identity at inference (Keras parity), multiplicative N(1, rate/(1-rate)) noise."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.regularization import GaussianDropout

RNG = np.random.default_rng(0)


def test_identity_at_inference(keras):
    x = RNG.normal(size=(3, 4, 5)).astype("float32")
    output = check_layer(lambda: GaussianDropout(0.3), x, lambda: keras.layers.GaussianDropout(0.3))
    np.testing.assert_array_equal(output, x)
    ours, theirs = (
        GaussianDropout(0.2, seed=4).get_config(),
        keras.layers.GaussianDropout(0.2, seed=4).get_config(),
    )
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs


def test_training_statistics():
    x = torch.full((200, 500), 2.0)
    factor = GaussianDropout(0.2)(x, training=True) / x
    assert abs(factor.mean().item() - 1.0) < 0.01
    assert abs(factor.std().item() - (0.2 / 0.8) ** 0.5) < 0.01


def test_errors():
    with pytest.raises(ValueError, match="rate"):
        GaussianDropout(-0.5)
    with pytest.raises(ValueError, match="rate"):
        GaussianDropout(1.0)
