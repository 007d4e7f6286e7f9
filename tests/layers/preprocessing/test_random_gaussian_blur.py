"""RandomGaussianBlur: Keras's blur on Keras's draws (formats, kernel sizes), a reference kernel,
the draw, inference identity, config, errors."""

import copy

import numpy as np
import pytest
import torch
from scipy.signal import convolve2d

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name, images
from torchkeras.layers import RandomGaussianBlur


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kernel_size", [3, 5])
def test_matches_keras_on_keras_draws(keras, data_format, kernel_size):
    x = torch.as_tensor(images(data_format))
    kwargs = {"kernel_size": kernel_size, "sigma": (0.3, 0.9), "factor": 0.7, "data_format": data_format}
    theirs = keras.layers.RandomGaussianBlur(seed=1, **kwargs)
    for _ in range(3):
        draw = theirs.get_random_transformation(x)
        ours = RandomGaussianBlur(**kwargs).transform_images(x, copy.deepcopy(draw))
        expected = theirs.transform_images(x.clone(), draw)
        np.testing.assert_allclose(ours.numpy(), np.asarray(expected.detach().cpu()), rtol=1e-5, atol=1e-3)


def test_reference_kernel():
    sigma = (0.5, 0.8)
    draw = {"should_apply_blur": torch.tensor([True, False, True]), "blur_factor": torch.tensor(sigma)}
    out = RandomGaussianBlur(kernel_size=3).transform_images(torch.as_tensor(IMAGES), draw).numpy()
    offsets = np.arange(3) - 1.0
    gx, gy = (np.exp(-0.5 * (offsets / s) ** 2) for s in sigma)
    kernel = np.outer(gy / gy.sum(), gx / gx.sum())
    for c in range(3):
        expected = convolve2d(IMAGES[0, :, :, c], kernel[::-1, ::-1], mode="same")
        np.testing.assert_allclose(out[0, :, :, c], expected, rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(out[1], IMAGES[1])


def test_draw_and_inference():
    layer = RandomGaussianBlur(factor=(0.5, 0.5), sigma=(0.2, 0.4), seed=2)
    draw = layer.get_random_transformation(torch.zeros(2000, 3, 3, 1))
    assert 0.45 < float(draw["should_apply_blur"].float().mean()) < 0.55
    assert draw["blur_factor"].shape == (2,) and 0.2 <= float(draw["blur_factor"].min()) <= 0.4 + 1e-5
    x = torch.as_tensor(IMAGES)
    assert torch.equal(RandomGaussianBlur()(x), x)


def test_config_and_errors(keras):
    ours = RandomGaussianBlur(factor=0.5, kernel_size=5, sigma=0.4, value_range=(0, 1), seed=3)
    theirs = keras.layers.RandomGaussianBlur(factor=0.5, kernel_size=5, sigma=0.4, value_range=(0, 1), seed=3)
    assert config_without_name(ours) == config_without_name(theirs)
    assert RandomGaussianBlur.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="`kernel_size` must be an odd positive integer"):
        RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match="factor"):
        RandomGaussianBlur(sigma=2.0)
