"""RandomBrightness: identity at inference, parity with Keras for fixed offsets, draws in
range, integer images, config, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.preprocessing import RandomBrightness

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (4, 5, 6, 3)).astype("float32")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_identity_at_inference(keras, data_format):
    x = IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()
    out = check_layer(
        lambda: RandomBrightness(0.5, data_format=data_format),
        x,
        lambda: keras.layers.RandomBrightness(0.5, data_format=data_format),
        call_kwargs={"training": False},
    )
    np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize(("factor", "value_range"), [(0.2, (0, 255)), (-0.3, (0, 255)), (0.1, (255, -10))])
def test_fixed_offset_matches_keras(keras, factor, value_range):
    out = check_layer(
        lambda: RandomBrightness((factor, factor), value_range=value_range),
        IMAGES,
        lambda: keras.layers.RandomBrightness((factor, factor), value_range=value_range),
        call_kwargs={"training": True},
    )
    low, high = sorted(value_range)
    np.testing.assert_allclose(out, np.clip(IMAGES + factor * (high - low), low, high), rtol=1e-5, atol=1e-4)


def test_given_deltas_match_keras(keras):
    deltas = torch.tensor([-30.0, 0.0, 12.5, 80.0]).reshape(4, 1, 1, 1)
    ours = RandomBrightness(0.5).transform_images(torch.as_tensor(IMAGES), {"rgb_delta": deltas})
    theirs = keras.layers.RandomBrightness(0.5).transform_images(
        torch.as_tensor(IMAGES), {"rgb_delta": deltas}
    )
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-6)


def test_random_offsets_stay_in_range():
    layer = RandomBrightness((-0.1, 0.3), value_range=(0, 1), seed=5)
    deltas = layer.get_random_transformation(torch.zeros(256, 2, 2, 1))["rgb_delta"]
    assert deltas.min() >= -0.1 and deltas.max() <= 0.3 and deltas.std() > 0.05


def test_integer_images_stay_integers():
    x = torch.full((1, 2, 2, 1), 250, dtype=torch.uint8)
    out = RandomBrightness((0.1, 0.1))(x, training=True)
    assert out.dtype == torch.uint8 and (out == 255).all()
    out = RandomBrightness((-0.5, -0.5))(x, training=True)
    assert (out == 123).all()  # 250 - trunc(127.5), no wrap-around


def test_config_matches_keras(keras):
    ours = RandomBrightness(0.3, value_range=(1, 0), seed=2).get_config()
    theirs = keras.layers.RandomBrightness(0.3, value_range=(1, 0), seed=2).get_config()
    assert {k: v for k, v in ours.items() if k != "name"} == {k: v for k, v in theirs.items() if k != "name"}


def test_errors():
    with pytest.raises(ValueError, match=r"`factor` must be .*\[-1, 1\]. Received: factor=1.2"):
        RandomBrightness(1.2)
    with pytest.raises(
        ValueError, match="`value_range` must be a list of two numbers. Received: value_range=3"
    ):
        RandomBrightness(0.2, value_range=3)
