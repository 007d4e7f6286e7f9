"""RandomSharpness: Keras's transform on the same draw (both formats), a reference formula, the
draw, inference identity, config, errors."""

import numpy as np
import pytest
import torch
from scipy.signal import convolve2d

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name, images
from torchkeras.layers import RandomSharpness

DRAW = {"factor": torch.tensor([0.0, 0.5, 1.0])}


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_transform_matches_keras(keras, data_format):
    x = torch.as_tensor(images(data_format))
    ours = RandomSharpness(0.5, data_format=data_format).transform_images(x, DRAW)
    theirs = keras.layers.RandomSharpness(0.5, data_format=data_format).transform_images(x, DRAW)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-5, atol=1e-3)


def test_reference_formula():
    out = RandomSharpness(0.5).transform_images(torch.as_tensor(IMAGES), DRAW).numpy()
    kernel = np.full((3, 3), 1 / 13)
    kernel[1, 1] = 5 / 13
    for b, f in enumerate(DRAW["factor"].tolist()):
        for c in range(3):
            smooth = convolve2d(IMAGES[b, :, :, c], kernel, mode="same")
            expected = np.clip(IMAGES[b, :, :, c] + (1 - 2 * f) * (smooth - IMAGES[b, :, :, c]), 0, 255)
            np.testing.assert_allclose(out[b, :, :, c], expected, rtol=1e-5, atol=1e-3)


def test_draw_and_inference():
    factor = RandomSharpness((0.2, 0.4), seed=1).get_random_transformation(torch.zeros(300, 3, 3, 1))[
        "factor"
    ]
    assert factor.min() >= 0.2 and factor.max() <= 0.4
    x = torch.as_tensor(IMAGES)
    assert torch.equal(RandomSharpness(0.5)(x), x)


def test_config_and_errors(keras):
    ours = RandomSharpness(0.3, value_range=(0, 1), seed=2)
    theirs = keras.layers.RandomSharpness(0.3, value_range=(0, 1), seed=2)
    assert config_without_name(ours) == config_without_name(theirs)
    assert RandomSharpness.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="factor"):
        RandomSharpness(1.5)
