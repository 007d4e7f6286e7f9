"""RandomColorJitter: the four steps in Keras's order on given draws (against Keras's layers),
seeded draws, inference identity, config, save/load through the shared cases."""

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name, images
from torchkeras.layers import RandomColorJitter

KWARGS = {"brightness_factor": 0.2, "contrast_factor": 0.3, "saturation_factor": 0.4, "hue_factor": 0.2}


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_steps_match_keras_layers_in_order(keras, data_format):
    x = torch.as_tensor(images(data_format))
    layer = RandomColorJitter(**KWARGS, seed=1, data_format=data_format)
    draw = layer.get_random_transformation(x)
    ours = layer.transform_images(x, draw)
    theirs = x.clone()  # Keras's RandomBrightness adds in place
    steps = [
        (keras.layers.RandomBrightness(0.2, data_format=data_format), "brightness"),
        (keras.layers.RandomContrast(0.3, data_format=data_format), "contrast"),
        (keras.layers.RandomSaturation(0.4, data_format=data_format), "saturation"),
        (keras.layers.RandomHue(0.2, data_format=data_format), "hue"),
    ]
    for keras_layer, name in steps:
        theirs = keras_layer.transform_images(theirs, draw[name])
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-5, atol=1e-3)


def test_only_given_steps_run_and_seeding():
    x = torch.as_tensor(IMAGES)
    layer = RandomColorJitter(brightness_factor=(0.1, 0.1), seed=0)
    np.testing.assert_allclose(layer(x, training=True).numpy(), np.clip(IMAGES + 25.5, 0, 255), rtol=1e-6)
    first = RandomColorJitter(**KWARGS, seed=4)(x, training=True)
    second = RandomColorJitter(**KWARGS, seed=4)(x, training=True)
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    assert torch.equal(RandomColorJitter(**KWARGS)(x), x)


def test_config(keras):
    ours = RandomColorJitter(value_range=(0, 1), **KWARGS, seed=3)
    theirs = keras.layers.RandomColorJitter(value_range=(0, 1), **KWARGS, seed=3)
    assert config_without_name(ours) == config_without_name(theirs)
    assert RandomColorJitter.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="factor"):
        RandomColorJitter(hue_factor=3.0)
