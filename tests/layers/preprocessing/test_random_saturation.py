"""RandomSaturation: Keras's transform on the same draw (both formats), the draw's formula,
reference cases (gray at 0, unchanged at f = 0.5), inference identity, config, errors."""

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name, images
from torchkeras.layers import RandomSaturation

DRAW = {"factor": torch.tensor([0.0, 0.7, 3.0])}


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_transform_matches_keras(keras, data_format):
    x = torch.as_tensor(images(data_format))
    ours = RandomSaturation(0.5, data_format=data_format).transform_images(x, DRAW)
    theirs = keras.layers.RandomSaturation(0.5, data_format=data_format).transform_images(x, DRAW)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-6)


def test_reference_cases():
    x = torch.as_tensor(IMAGES)
    gray = RandomSaturation((0.0, 0.0), seed=0)(x, training=True).numpy()
    np.testing.assert_allclose(gray, np.repeat(IMAGES.max(-1, keepdims=True), 3, -1), rtol=1e-6)
    same = RandomSaturation((0.5, 0.5), seed=0)(x, training=True).numpy()
    np.testing.assert_allclose(same, IMAGES, rtol=1e-5, atol=1e-3)


def test_draw_formula_and_inference():
    draw = RandomSaturation((0.2, 0.6), seed=3).get_random_transformation(torch.zeros(500, 2, 2, 3))
    factor = draw["factor"].numpy()
    f = factor / (1 + factor)  # inverse of f / (1 - f)
    assert f.min() >= 0.2 - 1e-4 and f.max() <= 0.6 + 1e-4
    x = torch.as_tensor(IMAGES)
    assert torch.equal(RandomSaturation(0.5)(x), x)


def test_config_and_errors(keras):
    ours = RandomSaturation(0.3, value_range=(1, 0), seed=2)
    theirs = keras.layers.RandomSaturation(0.3, value_range=(1, 0), seed=2)
    assert config_without_name(ours) == config_without_name(theirs)
    assert RandomSaturation.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="factor"):
        RandomSaturation(2.0)
