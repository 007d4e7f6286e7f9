"""RandomContrast: identity at inference, parity with Keras for given contrast factors and for
factor 0, Keras's factor semantics, a reference formula, config, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.preprocessing import RandomContrast

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (4, 5, 6, 3)).astype("float32")


def _images(data_format):
    return IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_identity_at_inference(keras, data_format):
    out = check_layer(
        lambda: RandomContrast(0.5, data_format=data_format),
        _images(data_format),
        lambda: keras.layers.RandomContrast(0.5, data_format=data_format),
        call_kwargs={"training": False},
    )
    np.testing.assert_array_equal(out, _images(data_format))


@pytest.mark.parametrize("value_range", [(0, 255), (20, 200)])
def test_factor_zero_matches_keras_in_training(keras, value_range):
    out = check_layer(
        lambda: RandomContrast(0.0, value_range=value_range),
        IMAGES,
        lambda: keras.layers.RandomContrast(0.0, value_range=value_range),
        call_kwargs={"training": True},
    )
    np.testing.assert_allclose(out, np.clip(IMAGES, *value_range), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_given_factors_match_keras_and_formula(keras, data_format):
    x = _images(data_format)
    factors = torch.tensor([0.5, 1.0, 1.3, 1.9]).reshape(4, 1, 1, 1)
    kwargs = {"value_range": (0, 255), "data_format": data_format}
    ours = RandomContrast(0.9, **kwargs).transform_images(torch.as_tensor(x), {"contrast_factor": factors})
    theirs = keras.layers.RandomContrast(0.9, **kwargs).transform_images(
        torch.as_tensor(x), {"contrast_factor": factors}
    )
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-6, atol=1e-4)
    axes = (1, 2) if data_format == "channels_last" else (2, 3)
    mean = x.mean(axis=axes, keepdims=True)
    expected = np.clip((x - mean) * factors.numpy() + mean, 0, 255)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-5, atol=1e-3)


def test_factor_range_is_keras():
    # As in Keras, a number f gives factor (0, f): contrast drawn in [1, 1 + f].
    layer = RandomContrast(0.5, seed=3)
    assert layer.factor == (0, 0.5)
    factors = layer.get_random_transformation(torch.zeros(256, 2, 2, 1))["contrast_factor"]
    assert factors.min() >= 1.0 and factors.max() <= 1.5 and factors.std() > 0.1
    assert RandomContrast((0.2, 0.4)).factor == (0.2, 0.4)


def test_config_matches_keras(keras):
    ours = RandomContrast(0.3, value_range=(0, 1), seed=2).get_config()
    theirs = keras.layers.RandomContrast(0.3, value_range=(0, 1), seed=2).get_config()
    assert {k: v for k, v in ours.items() if k != "name"} == {k: v for k, v in theirs.items() if k != "name"}


def test_training_outputs_floats_inference_keeps_dtype():
    x = torch.randint(0, 255, (2, 4, 4, 3), dtype=torch.uint8)
    assert RandomContrast(0.5)(x, training=True).dtype == torch.float32
    assert RandomContrast(0.5)(x, training=False).dtype == torch.uint8


def test_errors():
    with pytest.raises(ValueError, match=r"`factor` must be .*\[0, 1\]. Received: factor=-0.2"):
        RandomContrast(-0.2)
    with pytest.raises(ValueError, match="factor"):
        RandomContrast((0.5, 1.5))
    with pytest.raises(ValueError, match="`value_range` must be a list of two numbers"):
        RandomContrast(0.2, value_range=(0, 1, 2))
