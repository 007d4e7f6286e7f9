"""The image-layer base: factor parsing, data formats, errors, and random layers inside models
(random under `fit`-style training calls, the identity in `predict`)."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import config
from torchkeras.layers.preprocessing import RandomBrightness, RandomContrast, RandomFlip, RandomRotation
from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    UnsupportedChoiceError,
    check_value_range,
    standardize_data_format,
)


@pytest.mark.parametrize(
    ("factor", "expected"),
    [(0.2, (-0.2, 0.2)), (-0.3, (-0.3, 0.3)), ((0.4, -0.1), (-0.1, 0.4)), ([0.0, 0.0], (0.0, 0.0))],
)
def test_factor_matches_keras(keras, factor, expected):
    assert RandomRotation(factor).factor == pytest.approx(expected)
    assert RandomRotation(factor).factor == tuple(keras.layers.RandomRotation(factor).factor)
    assert RandomBrightness(factor).factor == tuple(keras.layers.RandomBrightness(factor).factor)


def test_data_format_defaults_to_the_global_setting():
    assert RandomFlip().data_format == "channels_last"
    config.set_image_data_format("channels_first")
    try:
        assert RandomFlip().data_format == "channels_first"
        assert standardize_data_format(None) == "channels_first"
    finally:
        config.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="RandomFlip .*`data_format`.*Did you mean 'channels_first'"):
        RandomFlip(data_format="channels_frist")


def test_unsupported_choices_are_value_and_not_implemented_errors():
    assert issubclass(UnsupportedChoiceError, ValueError) and issubclass(
        UnsupportedChoiceError, NotImplementedError
    )
    with pytest.raises(ValueError, match="`value_range` must be a list of two numbers"):
        check_value_range((0, "a"), "RandomContrast 'c'")
    with pytest.raises(ValueError, match="factor"):
        RandomContrast("big")


def test_random_layers_in_a_model_train_randomly_and_predict_unchanged():
    images = np.random.default_rng(0).uniform(size=(32, 4, 5, 1)).astype("float32")
    model = torchkeras.Sequential([torchkeras.Input((4, 5, 1)), RandomFlip("horizontal", seed=1)])
    trained = model(torch.as_tensor(images), training=True).numpy()
    assert not np.array_equal(trained, images)
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)
    np.testing.assert_array_equal(model(torch.as_tensor(images)).numpy(), images)
