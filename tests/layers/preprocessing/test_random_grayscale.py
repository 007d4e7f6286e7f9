"""RandomGrayscale: Keras's transform on the same draw (both data formats), factor 0 and 1,
inference identity, config and errors."""

import numpy as np
import pytest
import torch

from torchkeras.layers.preprocessing import RandomGrayscale

IMAGES = np.random.default_rng(0).random((3, 4, 5, 3)).astype("float32")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_transform_matches_keras(keras, data_format):
    images = IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2)
    apply = torch.tensor([True, False, True]).reshape(3, 1, 1, 1)
    ours = RandomGrayscale(data_format=data_format).transform_images(images, apply)
    theirs = keras.layers.RandomGrayscale(data_format=data_format).transform_images(
        torch.as_tensor(images), apply
    )
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-6)


def test_reference_formula_factor_and_inference():
    x = torch.as_tensor(IMAGES)
    gray = RandomGrayscale(factor=1.0, seed=0)(x, training=True)
    expected = IMAGES @ np.array([0.2989, 0.587, 0.114], "float32")
    np.testing.assert_allclose(gray.numpy(), np.repeat(expected[..., None], 3, axis=-1), rtol=1e-5)
    assert torch.equal(RandomGrayscale(factor=0.0, seed=0)(x, training=True), x)
    assert torch.equal(RandomGrayscale(factor=1.0)(x), x)


def test_config_and_errors(keras):
    ours = RandomGrayscale(factor=0.3, seed=1, name="g").get_config()
    theirs = keras.layers.RandomGrayscale(factor=0.3, seed=1, name="g").get_config()
    assert set(ours) - {"seed"} == set(theirs)  # Keras 3.15 leaves its own `seed` out of the config
    assert RandomGrayscale.from_config(ours).get_config() == ours
    with pytest.raises(ValueError, match="factor"):
        RandomGrayscale(factor=1.5)
