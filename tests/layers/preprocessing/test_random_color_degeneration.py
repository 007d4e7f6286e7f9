"""RandomColorDegeneration: Keras's transform on the same draw (both formats), a reference
formula, inference identity, config, errors."""

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name, images
from torchkeras.layers import RandomColorDegeneration

DRAW = {"factor": torch.tensor([0.0, -0.4, 1.0]).reshape(3, 1, 1, 1)}


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_transform_matches_keras(keras, data_format):
    x = torch.as_tensor(images(data_format))
    ours = RandomColorDegeneration(0.5, data_format=data_format).transform_images(x, DRAW)
    theirs = keras.layers.RandomColorDegeneration(0.5, data_format=data_format).transform_images(x, DRAW)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-6)


def test_reference_formula_and_inference():
    out = RandomColorDegeneration(0.5).transform_images(torch.as_tensor(IMAGES), DRAW).numpy()
    gray = IMAGES @ np.array([0.2989, 0.587, 0.114], "float32")
    f = DRAW["factor"].numpy()
    expected = np.clip(IMAGES + f * (gray[..., None] - IMAGES), 0, 255)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3)
    x = torch.as_tensor(IMAGES)
    assert torch.equal(RandomColorDegeneration(0.5)(x), x)


def test_config_and_errors(keras):
    ours = RandomColorDegeneration(0.3, seed=2)
    theirs = keras.layers.RandomColorDegeneration(0.3, seed=2)
    assert config_without_name(ours) == config_without_name(theirs)
    assert RandomColorDegeneration.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="factor"):
        RandomColorDegeneration(-2.0)
