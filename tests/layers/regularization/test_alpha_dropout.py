"""AlphaDropout: identity at inference (Keras parity); keeps mean and variance in training."""

import math

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.regularization import AlphaDropout

RNG = np.random.default_rng(0)


def test_identity_at_inference(keras):
    x = RNG.normal(size=(3, 4, 5)).astype("float32")
    output = check_layer(lambda: AlphaDropout(0.3), x, lambda: keras.layers.AlphaDropout(0.3))
    np.testing.assert_array_equal(output, x)
    kwargs = {"rate": 0.2, "noise_shape": (None, 1, 5), "seed": 1}
    ours, theirs = AlphaDropout(**kwargs).get_config(), keras.layers.AlphaDropout(**kwargs).get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs


def test_training_keeps_mean_and_variance():
    x = torch.randn(1000, 400)
    output = AlphaDropout(0.2)(x, training=True)
    assert abs(output.mean().item()) < 0.01
    assert abs(output.std().item() - 1.0) < 0.01


def test_noise_shape_and_dropped_value():
    rate, x = 0.5, torch.randn(50, 7, 6)
    output = AlphaDropout(rate, noise_shape=(None, 1, 6), seed=0)(x, training=True)
    saturation = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * saturation**2)) ** -0.5
    dropped_value = a * saturation - a * saturation * rate
    dropped = torch.isclose(output, torch.tensor(dropped_value)) & ~torch.isclose(
        a * x - a * saturation * rate, output
    )
    assert torch.equal(dropped.all(1), dropped.any(1))  # the same features dropped at every step
    kept = ~dropped
    torch.testing.assert_close(output[kept], (a * x - a * saturation * rate)[kept])
    assert math.isclose(dropped.float().mean().item(), rate, abs_tol=0.06)


def test_errors():
    with pytest.raises(ValueError, match="rate"):
        AlphaDropout(1.2)
