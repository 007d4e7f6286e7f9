"""Equalization: Keras's output (formats, value ranges, bins), a reference (a flat histogram after
equalizing), constant channels untouched, training flag, config, errors."""

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name, images
from torchkeras.layers import Equalization


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("value_range, bins", [((0, 255), 256), ((0, 1), 64)])
def test_matches_keras(keras, data_format, value_range, bins):
    x = torch.as_tensor(images(data_format)) / (255.0 if value_range == (0, 1) else 1.0)
    kwargs = {"value_range": value_range, "bins": bins, "data_format": data_format}
    ours = Equalization(**kwargs)(x, training=True)
    theirs = keras.layers.Equalization(**kwargs)(x, training=True)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-6, atol=1e-6)


def test_reference_spreads_values_and_keeps_constant_channels():
    rng = np.random.default_rng(1)
    dark = rng.integers(0, 64, (1, 32, 32, 1)).astype("float32")  # values crowded at the low end
    out = Equalization()(torch.as_tensor(dark), training=True).numpy()
    assert out.min() == 0 and out.max() == 255
    counts = np.histogram(out, bins=4, range=(0, 256))[0]
    assert counts.min() > 0.15 * out.size  # roughly flat after equalization
    flat = np.full((1, 4, 4, 3), 7.0, "float32")
    np.testing.assert_array_equal(Equalization()(torch.as_tensor(flat), training=True).numpy(), flat)


def test_inference_passes_through_and_config(keras):
    x = torch.as_tensor(IMAGES)
    assert torch.equal(Equalization()(x), x)
    ours, theirs = (
        Equalization(value_range=(0, 1), bins=32),
        keras.layers.Equalization(value_range=(0, 1), bins=32),
    )
    assert config_without_name(ours) == config_without_name(theirs)
    assert Equalization.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="`bins` must be a positive integer"):
        Equalization(bins=0)
