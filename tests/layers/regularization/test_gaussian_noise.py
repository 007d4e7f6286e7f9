"""GaussianNoise: identity at inference (Keras parity), additive N(0, stddev) noise in training."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.regularization import GaussianNoise

RNG = np.random.default_rng(0)


def test_identity_at_inference(keras):
    x = RNG.normal(size=(3, 4, 5)).astype("float32")
    output = check_layer(
        lambda: GaussianNoise(0.5, seed=1), x, lambda: keras.layers.GaussianNoise(0.5, seed=1)
    )
    np.testing.assert_array_equal(output, x)
    ours, theirs = GaussianNoise(0.2).get_config(), keras.layers.GaussianNoise(0.2).get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs


def test_training_statistics():
    x = torch.randn(200, 500)
    noise = GaussianNoise(0.3)(x, training=True) - x
    assert abs(noise.mean().item()) < 0.01
    assert abs(noise.std().item() - 0.3) < 0.01
    seeded = [GaussianNoise(0.3, seed=5)(x, training=True) for _ in range(2)]
    assert torch.equal(*seeded)
    assert torch.equal(GaussianNoise(0.0)(x, training=True), x)


def test_errors():
    with pytest.raises(ValueError, match="stddev"):
        GaussianNoise(-0.1)
    with pytest.raises(ValueError, match="stddev"):
        GaussianNoise(1.5)
