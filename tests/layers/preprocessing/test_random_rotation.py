"""RandomRotation: identity at inference, exact parity with Keras for a fixed angle (every
fill mode and interpolation, both data formats), per-image angles through `transform_images`,
angle ranges, seeds, config, errors."""

import math

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.preprocessing import RandomRotation
from torchkeras.layers.preprocessing.random_rotation import rotation_matrix

# Pixels span 0-255: parity tolerances are relative to that range (float32 sampling coordinates
# differ by a few ulps across CPUs, which moves a bilinear sample by ~1e-4).
PIXEL_RANGE = 255.0
TOLERANCE = {"rtol": 0.0, "atol": 1e-5 * PIXEL_RANGE}


def _images(data_format="channels_last"):
    images = np.random.default_rng(0).uniform(0, PIXEL_RANGE, (3, 6, 7, 2)).astype("float32")
    return images if data_format == "channels_last" else images.transpose(0, 3, 1, 2).copy()


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_identity_at_inference(keras, data_format):
    out = check_layer(
        lambda: RandomRotation(0.3, data_format=data_format),
        _images(data_format),
        lambda: keras.layers.RandomRotation(0.3, data_format=data_format),
        call_kwargs={"training": False},
    )
    np.testing.assert_array_equal(out, _images(data_format))


@pytest.mark.parametrize("factor", [0.1, -0.3, 0.5])
@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_fixed_angle_matches_keras(keras, factor, fill_mode, interpolation, data_format):
    kwargs = {
        "fill_mode": fill_mode,
        "interpolation": interpolation,
        "fill_value": 7.0,
        "data_format": data_format,
    }
    check_layer(
        lambda: RandomRotation((factor, factor), **kwargs),
        _images(data_format),
        lambda: keras.layers.RandomRotation((factor, factor), **kwargs),
        call_kwargs={"training": True},
        **TOLERANCE,
    )


def test_half_turn_reference():
    # A rotation by 180 degrees about the center reverses both spatial axes.
    images = _images()
    out = RandomRotation((0.5, 0.5), interpolation="nearest")(torch.as_tensor(images), training=True)
    np.testing.assert_allclose(out.numpy(), images[:, ::-1, ::-1], **TOLERANCE)


def test_per_image_angles_match_keras(keras):
    angles = torch.tensor([10.0, -45.0, 100.0])
    matrix = rotation_matrix(angles, 6, 7)
    theirs_matrix = keras.layers.RandomRotation(0.1)._compute_affine_matrix(
        center_x=0.5, center_y=0.5, angle=angles, translate_x=torch.zeros(3), translate_y=torch.zeros(3),
        scale=torch.ones(3), shear_x=torch.zeros(3), shear_y=torch.zeros(3), height=6, width=7,
    )  # fmt: skip
    np.testing.assert_array_equal(matrix.numpy(), np.asarray(theirs_matrix))
    images = _images()
    ours = RandomRotation(0.1).transform_images(torch.as_tensor(images), {"rotation_matrix": matrix})
    theirs = keras.layers.RandomRotation(0.1).transform_images(images, {"rotation_matrix": matrix})
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), **TOLERANCE)


def test_random_angles_stay_in_range_and_differ():
    layer = RandomRotation((-0.1, 0.25), seed=4)
    angles = layer.get_random_transformation(torch.zeros(256, 4, 4, 1))["angle"]
    assert angles.min() >= -36.0 and angles.max() <= 90.0
    assert angles.std() > 20  # uniform on 126 degrees: std ~ 36
    image = _images()[0]
    assert layer(torch.as_tensor(image), training=True).shape == image.shape


def test_seeds_reproduce():
    x = torch.as_tensor(_images())
    a = RandomRotation(0.2, seed=5)(x, training=True)
    np.testing.assert_array_equal(a.numpy(), RandomRotation(0.2, seed=5)(x, training=True).numpy())


def test_config_matches_keras(keras):
    kwargs = {"fill_mode": "constant", "interpolation": "nearest", "seed": 1, "fill_value": 2.0}
    ours = RandomRotation(0.2, **kwargs).get_config()
    theirs = keras.layers.RandomRotation(0.2, **kwargs).get_config()
    assert {k: v for k, v in ours.items() if k != "name"} == {k: v for k, v in theirs.items() if k != "name"}
    assert ours["factor"] == (-0.2, 0.2)


def test_errors():
    with pytest.raises(ValueError, match=r"`factor` must be .* \[-1, 1\]. Received: factor=1.5"):
        RandomRotation(1.5)
    with pytest.raises(ValueError, match="factor"):
        RandomRotation((0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match="fill_mode.*Did you mean 'reflect'"):
        RandomRotation(0.1, fill_mode="reflec")
    with pytest.raises(NotImplementedError, match="interpolation"):  # Keras's exception type too
        RandomRotation(0.1, interpolation="bicubic")
    assert math.isclose(RandomRotation(-0.2).factor[0], -0.2)
