"""AutoContrast: parity with Keras (float and integer images, two value ranges), constant
channels, config."""

import numpy as np
import pytest
import torch

from torchkeras.layers.preprocessing import AutoContrast

IMAGES = (np.random.default_rng(0).random((2, 4, 5, 3)) * 100 + 50).astype("float32")


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_parity(keras, value_range):
    images = IMAGES if value_range == (0, 255) else IMAGES / 255.0
    ours = AutoContrast(value_range=value_range)(images)
    theirs = keras.layers.AutoContrast(value_range=value_range)(images)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-5, atol=1e-5)


def test_reference_stretch_integer_images_and_constant_channels():
    out = AutoContrast()(IMAGES).numpy()
    np.testing.assert_allclose(out.min(axis=(1, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.max(axis=(1, 2)), 255.0, rtol=1e-5)
    ints = AutoContrast()(torch.tensor(IMAGES, dtype=torch.int32))
    assert ints.dtype == torch.int32
    flat = np.full((1, 3, 3, 1), 7.0, "float32")
    np.testing.assert_allclose(AutoContrast()(flat).numpy(), flat)
    assert AutoContrast.from_config(AutoContrast(value_range=(0, 1)).get_config()).value_range == [0, 1]
