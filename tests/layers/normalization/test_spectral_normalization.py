"""SpectralNormalization (and the Wrapper base): parity with Keras at inference and after a
training call, the reference sigma, config round trip, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras import layers


def test_inference_parity(keras):
    x = np.random.default_rng(0).random((2, 5, 5, 3)).astype("float32")
    check_layer(
        lambda: layers.SpectralNormalization(layers.Conv2D(2, 2)),
        x,
        lambda: keras.layers.SpectralNormalization(keras.layers.Conv2D(2, 2)),
    )


@pytest.mark.parametrize("power_iterations", [1, 3])
def test_training_call_matches_keras(keras, power_iterations):
    x = np.random.default_rng(1).random((3, 4)).astype("float32")
    ours = layers.SpectralNormalization(layers.Dense(5), power_iterations=power_iterations)
    theirs = keras.layers.SpectralNormalization(keras.layers.Dense(5), power_iterations=power_iterations)
    ours(x)
    theirs(x)
    ours.set_weights(theirs.get_weights())
    out_ours = ours(x, training=True).detach().numpy()
    out_theirs = np.asarray(theirs(x, training=True).detach().cpu())
    np.testing.assert_allclose(out_ours, out_theirs, rtol=1e-5, atol=1e-6)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_kernel_converges_to_spectral_norm_one():
    layer = layers.SpectralNormalization(layers.Dense(6), power_iterations=5)
    x = torch.ones(2, 4)
    for _ in range(20):
        layer(x, training=True)
    sigma = torch.linalg.matrix_norm(layer.layer.kernel.detach(), ord=2)
    assert abs(float(sigma) - 1.0) < 1e-3


def test_config_and_errors():
    layer = layers.SpectralNormalization(layers.Embedding(10, 3), power_iterations=2)
    clone = layers.SpectralNormalization.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="kernel"):
        layers.SpectralNormalization(layers.Flatten())(np.ones((1, 2), "float32"))
    with pytest.raises(ValueError, match="layer"):
        layers.Wrapper("dense")
