"""RandomTranslation: identity at inference, parity with Keras for fixed shifts and for given
per-image shifts, an integer-shift reference, shift ranges, config, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.preprocessing import RandomTranslation

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (3, 6, 8, 2)).astype("float32")


def _images(data_format):
    return IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_identity_at_inference(keras, data_format):
    out = check_layer(
        lambda: RandomTranslation(0.2, 0.3, data_format=data_format),
        _images(data_format),
        lambda: keras.layers.RandomTranslation(0.2, 0.3, data_format=data_format),
        call_kwargs={"training": False},
    )
    np.testing.assert_array_equal(out, _images(data_format))


@pytest.mark.parametrize(("height", "width"), [(0.25, -0.1), (-0.37, 0.6), (0.0, 0.5)])
@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_fixed_shift_matches_keras(keras, height, width, fill_mode, interpolation, data_format):
    kwargs = {
        "fill_mode": fill_mode,
        "interpolation": interpolation,
        "fill_value": -1.0,
        "data_format": data_format,
    }
    check_layer(
        lambda: RandomTranslation((height, height), (width, width), **kwargs),
        _images(data_format),
        lambda: keras.layers.RandomTranslation((height, height), (width, width), **kwargs),
        call_kwargs={"training": True},
    )


def test_integer_shift_reference():
    # Shift down by 3 rows (0.5 * 6) and right by 2 columns (0.25 * 8), zeros coming in.
    layer = RandomTranslation((0.5, 0.5), (0.25, 0.25), fill_mode="constant")
    out = layer(torch.as_tensor(IMAGES), training=True).numpy()
    expected = np.zeros_like(IMAGES)
    expected[:, 3:, 2:] = IMAGES[:, :3, :6]
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_given_translations_match_keras(keras):
    translations = torch.tensor([[1.5, -2.0], [0.0, 3.25], [-4.0, 0.5]])
    ours = RandomTranslation(0.1, 0.1).transform_images(
        torch.as_tensor(IMAGES), {"translations": translations}
    )
    theirs = keras.layers.RandomTranslation(0.1, 0.1).transform_images(IMAGES, {"translations": translations})
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-6, atol=1e-5)


def test_random_shifts_stay_in_range():
    layer = RandomTranslation((-0.5, 0.0), 0.25, seed=2)
    shifts = layer.get_random_transformation(torch.zeros(256, 4, 8, 1))["translations"]
    assert shifts[:, 1].min() >= -2.0 and shifts[:, 1].max() <= 0.0  # height 4
    assert shifts[:, 0].min() >= -2.0 and shifts[:, 0].max() <= 2.0  # width 8
    assert (
        shifts[:, 0].std() > 0.5 and layer(torch.as_tensor(IMAGES[0]), training=True).shape == IMAGES[0].shape
    )


def test_config_matches_keras(keras):
    kwargs = {"fill_mode": "wrap", "seed": 3, "fill_value": 1.0}
    ours = RandomTranslation((0.1, 0.2), -0.3, **kwargs).get_config()
    theirs = keras.layers.RandomTranslation((0.1, 0.2), -0.3, **kwargs).get_config()
    assert {k: v for k, v in ours.items() if k != "name"} == {k: v for k, v in theirs.items() if k != "name"}


def test_errors():
    with pytest.raises(
        ValueError, match=r"`height_factor` must be .*\[-1.0, 1.0\]. Received: height_factor=1.5"
    ):
        RandomTranslation(1.5, 0.1)
    with pytest.raises(ValueError, match="width_factor"):
        RandomTranslation(0.1, (0.1, 2.0))
    with pytest.raises(ValueError, match="width_factor"):
        RandomTranslation(0.1, "0.1")
    with pytest.raises(ValueError, match="fill_mode.*Did you mean 'constant'"):
        RandomTranslation(0.1, 0.1, fill_mode="constnt")
