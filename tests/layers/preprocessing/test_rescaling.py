"""Rescaling: parity with Keras (scalar and per-channel), integer inputs, config of arrays."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras import config
from torchkeras.layers.preprocessing import Rescaling

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("scale", "offset"),
    [(1 / 255, 0.0), (1 / 127.5, -1), (2, 3), ([0.5, 1.0, 2.0], [0.0, 1.0, -1.0])],
)
def test_parity(keras, scale, offset):
    x = RNG.uniform(0, 255, (2, 4, 5, 3)).astype("float32")
    out = check_layer(lambda: Rescaling(scale, offset), x, lambda: keras.layers.Rescaling(scale, offset))
    np.testing.assert_allclose(
        out, x * np.asarray(scale, "float32") + np.asarray(offset, "float32"), rtol=1e-6
    )


def test_integer_inputs_give_floats(keras):
    x = RNG.integers(0, 256, (2, 3, 3, 1)).astype("uint8")
    out = check_layer(lambda: Rescaling(1 / 255), x, lambda: keras.layers.Rescaling(1 / 255))
    assert out.dtype == np.float32
    assert Rescaling(1 / 255)(torch.as_tensor(x)).dtype == torch.float32


def test_channels_first_scale_aligns_with_channels(keras):
    config.set_image_data_format("channels_first")
    keras.config.set_image_data_format("channels_first")
    try:
        x = RNG.uniform(0, 255, (2, 3, 4, 5)).astype("float32")
        out = check_layer(
            lambda: Rescaling([1.0, 2.0, 3.0]), x, lambda: keras.layers.Rescaling([1.0, 2.0, 3.0])
        )
        np.testing.assert_allclose(out[:, 2], 3 * x[:, 2], rtol=1e-6)
    finally:
        config.set_image_data_format("channels_last")
        keras.config.set_image_data_format("channels_last")


def test_numpy_scale_config_matches_keras(keras):
    scale = np.array([1.0, 2.0, 3.0])
    ours, theirs = (
        Rescaling(scale, offset=[0.0, 1.0, 2.0]),
        keras.layers.Rescaling(scale, offset=[0.0, 1.0, 2.0]),
    )
    assert ours.get_config()["scale"] == theirs.get_config()["scale"]
    assert ours.get_config()["offset"] == theirs.get_config()["offset"]
    clone = Rescaling.from_config(ours.get_config())
    np.testing.assert_array_equal(clone.scale, scale)


def test_constants_are_not_weights():
    layer = Rescaling(2.0, 1.0)
    assert layer.get_weights() == [] and list(layer.state_dict()) == []
