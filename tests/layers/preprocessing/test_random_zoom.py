"""RandomZoom: identity at inference, parity with Keras for fixed zooms (with and without a
separate width factor) and for given per-image zooms, zoom ranges, config, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.preprocessing import RandomZoom

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (3, 7, 6, 2)).astype("float32")


def _images(data_format):
    return IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_identity_at_inference(keras, data_format):
    out = check_layer(
        lambda: RandomZoom(0.3, data_format=data_format),
        _images(data_format),
        lambda: keras.layers.RandomZoom(0.3, data_format=data_format),
        call_kwargs={"training": False},
    )
    np.testing.assert_array_equal(out, _images(data_format))


@pytest.mark.parametrize(("height", "width"), [(0.3, None), (-0.4, 0.2), (0.5, -0.25)])
@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_fixed_zoom_matches_keras(keras, height, width, fill_mode, interpolation, data_format):
    kwargs = {
        "fill_mode": fill_mode,
        "interpolation": interpolation,
        "fill_value": 3.0,
        "data_format": data_format,
    }
    width_factor = None if width is None else (width, width)
    check_layer(
        lambda: RandomZoom((height, height), width_factor, **kwargs),
        _images(data_format),
        lambda: keras.layers.RandomZoom((height, height), width_factor, **kwargs),
        call_kwargs={"training": True},
    )


def test_given_zooms_match_keras(keras):
    zooms = {
        "height_zoom": torch.tensor([[0.5], [1.0], [1.7]]),
        "width_zoom": torch.tensor([[1.2], [0.8], [1.0]]),
    }
    ours = RandomZoom(0.1).transform_images(torch.as_tensor(IMAGES), zooms)
    theirs = keras.layers.RandomZoom(0.1).transform_images(IMAGES, zooms)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-6, atol=1e-5)


def test_zoom_in_by_half_reference():
    # Zoom factor 0.5 about the center of a 5-pixel axis samples positions 1, 1.5, 2, 2.5, 3.
    x = np.arange(5, dtype="float32").reshape(1, 5, 1, 1)
    out = RandomZoom((-0.5, -0.5), (0.0, 0.0))(torch.as_tensor(x), training=True).numpy()
    np.testing.assert_allclose(out.reshape(-1), [1.0, 1.5, 2.0, 2.5, 3.0], atol=1e-6)


def test_random_zooms_stay_in_range_and_keep_aspect():
    layer = RandomZoom((-0.2, 0.4), seed=1)
    t = layer.get_random_transformation(torch.zeros(256, 4, 4, 1))
    assert t["height_zoom"].min() >= 0.8 and t["height_zoom"].max() <= 1.4
    assert t["width_zoom"] is t["height_zoom"] and t["height_zoom"].std() > 0.1


def test_config_matches_keras(keras):
    ours = RandomZoom(0.2, (0.1, 0.3), seed=1).get_config()
    theirs = keras.layers.RandomZoom(0.2, (0.1, 0.3), seed=1).get_config()
    assert {k: v for k, v in ours.items() if k != "name"} == {k: v for k, v in theirs.items() if k != "name"}


def test_errors():
    with pytest.raises(
        ValueError, match=r"`height_factor` must be .*\(-1.0, 1.0\]. Received: height_factor=-1.0"
    ):
        RandomZoom(-1.0)
    with pytest.raises(ValueError, match="width_factor"):
        RandomZoom(0.1, 1.2)
    with pytest.raises(ValueError, match="interpolation.*Did you mean 'nearest'"):
        RandomZoom(0.1, interpolation="neares")
