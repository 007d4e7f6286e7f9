"""RandomPosterization: Keras's transform on identical shifts, the bit-clearing reference,
draws within the factor range, config and errors."""

import numpy as np
import pytest
import torch

from torchkeras.layers.preprocessing import RandomPosterization

IMAGES = np.random.default_rng(0).integers(0, 256, size=(2, 4, 4, 3)).astype("float32")


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_transform_matches_keras(keras, value_range):
    images = IMAGES if value_range == (0, 255) else IMAGES / 255.0
    transform = {"shift_factor": torch.tensor([3, 6], dtype=torch.uint8)}
    ours = RandomPosterization(4, value_range=value_range).transform_images(images, transform)
    theirs = keras.layers.RandomPosterization(4, value_range=value_range).transform_images(
        torch.as_tensor(images), transform
    )
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-6, atol=1e-6)


def test_reference_bits_and_draws():
    x = torch.as_tensor(IMAGES)
    out = RandomPosterization((2, 2), seed=0)(x, training=True)
    np.testing.assert_array_equal(out.numpy(), (IMAGES.astype(np.uint8) >> 6 << 6).astype("float32"))
    shifts = RandomPosterization(5, seed=1).get_random_transformation(torch.zeros(64, 2, 2, 3))[
        "shift_factor"
    ]
    assert set(shifts.tolist()) <= {4, 5, 6, 7} and len(set(shifts.tolist())) > 1
    assert torch.equal(RandomPosterization(3)(x), x)


def test_config_and_errors(keras):
    ours = RandomPosterization(4, seed=1, name="p").get_config()
    theirs = keras.layers.RandomPosterization(4, seed=1, name="p").get_config()
    assert set(ours) == set(theirs) and list(ours["factor"]) == list(theirs["factor"])
    assert RandomPosterization.from_config(ours).get_config() == ours
    with pytest.raises(ValueError, match="factor"):
        RandomPosterization(9)
