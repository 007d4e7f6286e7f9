"""RandomErasing: Keras's erasing on Keras's draws (formats, fills), the drawn boxes, per-channel
fills, inference identity, config, errors."""

import copy

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name, images
from torchkeras.layers import RandomErasing


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("fill_value", [None, 7.0])
def test_matches_keras_on_keras_draws(keras, data_format, fill_value):
    x = torch.as_tensor(images(data_format))
    kwargs = {"factor": 0.8, "scale": (0.1, 0.5), "fill_value": fill_value, "data_format": data_format}
    theirs = keras.layers.RandomErasing(seed=1, **kwargs)
    for _ in range(3):
        draw = theirs.get_random_transformation(x)
        ours = RandomErasing(**kwargs).transform_images(x, copy.deepcopy(draw))
        expected = theirs.transform_images(x.clone(), draw)
        np.testing.assert_array_equal(ours.numpy(), np.asarray(expected.detach().cpu()))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_boxes_and_per_channel_fill(data_format):
    x = torch.as_tensor(images(data_format))
    layer = RandomErasing(
        factor=(1.0, 1.0), scale=(0.3, 0.3), fill_value=(10, 20, 30), data_format=data_format, seed=3
    )
    out = layer(x, training=True).numpy()
    changed = (out != images(data_format)).any(axis=-1 if data_format == "channels_last" else 1)
    for image, mask in zip(np.moveaxis(out, 1, -1) if data_format == "channels_first" else out, changed):
        rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
        assert len(rows) and mask.sum() <= len(rows) * len(cols)
        np.testing.assert_array_equal(image[mask], np.tile([10.0, 20.0, 30.0], (mask.sum(), 1)))


def test_inference_and_config(keras):
    x = torch.as_tensor(IMAGES)
    assert torch.equal(RandomErasing()(x), x)
    ours = RandomErasing(factor=0.4, scale=0.2, fill_value=3.0, value_range=(0, 1), seed=2)
    theirs = keras.layers.RandomErasing(factor=0.4, scale=0.2, fill_value=3.0, value_range=(0, 1), seed=2)
    assert config_without_name(ours) == config_without_name(theirs)
    assert RandomErasing.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="`fill_value` must be None, a number or a list of three numbers"):
        RandomErasing(fill_value=(1, 2))
    with pytest.raises(ValueError, match="factor"):
        RandomErasing(scale=1.5)
