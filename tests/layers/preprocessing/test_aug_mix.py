"""AugMix: equal to Keras's AugMix on Keras's draws, the draw (Dirichlet and beta weights, chain
lengths), seeding, inference identity, config, errors."""

import copy

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name
from torchkeras.layers import AugMix


@pytest.mark.parametrize("all_ops", [True, False])
def test_matches_keras_on_keras_draws(keras, all_ops):
    x = torch.as_tensor(IMAGES)
    theirs = keras.layers.AugMix(num_chains=2, chain_depth=3, all_ops=all_ops, seed=1)
    ours = AugMix(num_chains=2, chain_depth=3, all_ops=all_ops, seed=1)
    for _ in range(6):
        draw = theirs.get_random_transformation(x)
        got = ours.transform_images(x, copy.deepcopy(draw))  # Keras's warps edit the draw in place
        expected = theirs.transform_images(x.clone(), draw)
        np.testing.assert_allclose(got.numpy(), np.asarray(expected.detach().cpu()), rtol=1e-5, atol=1e-3)


def test_draw():
    layer = AugMix(num_chains=4, chain_depth=2, alpha=0.5, seed=3)
    weights, blends = [], []
    for _ in range(200):
        draw = layer.get_random_transformation(torch.as_tensor(IMAGES))
        assert len(draw["chain_transforms"]) == 4
        assert all(len(chain) <= 2 for chain in draw["chain_transforms"])
        weights.append(draw["chain_mixing_weights"].numpy())
        blends.append(float(draw["weight_sample"]))
    weights = np.array(weights)
    np.testing.assert_allclose(weights.sum(1), 1.0, rtol=1e-5)
    assert abs(weights.mean() - 0.25) < 0.03 and min(blends) >= 0 and max(blends) <= 1
    assert abs(np.mean(blends) - 0.5) < 0.08


def test_seeding_inference_and_range():
    x = torch.as_tensor(IMAGES)
    first = AugMix(seed=4)(x, training=True)
    np.testing.assert_array_equal(first.numpy(), AugMix(seed=4)(x, training=True).numpy())
    assert first.min() >= 0 and first.max() <= 255 and first.shape == x.shape
    assert torch.equal(AugMix()(x), x)


def test_config_and_errors(keras):
    ours = AugMix(
        value_range=(0, 1), num_chains=2, chain_depth=4, factor=0.2, alpha=0.5, all_ops=False, seed=1
    )
    theirs = keras.layers.AugMix(
        value_range=(0, 1), num_chains=2, chain_depth=4, factor=0.2, alpha=0.5, all_ops=False, seed=1
    )
    assert config_without_name(ours) == config_without_name(theirs)
    assert AugMix.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="`num_chains` must be a positive integer"):
        AugMix(num_chains=0)
    with pytest.raises(ValueError, match="`alpha` must be a positive number"):
        AugMix(alpha=-1.0)
