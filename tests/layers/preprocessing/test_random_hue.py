"""RandomHue: Keras's transform on the same draw (both formats), the draw, a reference (hue
turns), inference identity, config, errors."""

import colorsys

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name, images
from torchkeras.layers import RandomHue

DRAW = {"factor": torch.tensor([0.1, -0.3, 0.45])}


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_transform_matches_keras(keras, data_format):
    x = torch.as_tensor(images(data_format))
    ours = RandomHue(0.9, data_format=data_format).transform_images(x, DRAW)
    theirs = keras.layers.RandomHue(0.9, data_format=data_format).transform_images(x, DRAW)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-5, atol=1e-3)


def test_reference_hue_rotation():
    out = RandomHue(0.9, value_range=(0, 255)).transform_images(torch.as_tensor(IMAGES), DRAW).numpy()
    for b, shift in enumerate(DRAW["factor"].tolist()):
        for pixel, got in zip(IMAGES[b].reshape(-1, 3) / 255, out[b].reshape(-1, 3) / 255):
            h, s, v = colorsys.rgb_to_hsv(*pixel)
            np.testing.assert_allclose(got, colorsys.hsv_to_rgb((h + shift) % 1.0, s, v), atol=1e-4)


def test_draw_and_inference():
    draw = RandomHue((0.2, 0.6), seed=1).get_random_transformation(torch.zeros(2000, 2, 2, 3))["factor"]
    magnitude = draw.abs().numpy()
    assert magnitude.min() >= 0.1 - 1e-6 and magnitude.max() <= 0.3 + 1e-6
    assert 0.4 < float((draw > 0).float().mean()) < 0.6
    x = torch.as_tensor(IMAGES)
    assert torch.equal(RandomHue(0.5)(x), x)
    assert not torch.allclose(RandomHue(0.5, seed=2)(x, training=True), x)


def test_config_and_errors(keras):
    ours = RandomHue(0.3, value_range=(0, 1), seed=2)
    theirs = keras.layers.RandomHue(0.3, value_range=(0, 1), seed=2)
    assert config_without_name(ours) == config_without_name(theirs)
    assert RandomHue.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="factor"):
        RandomHue(1.5)
    with pytest.raises(ValueError, match="`value_range` must be a list of two numbers"):
        RandomHue(0.2, value_range=(0, 1, 2))
