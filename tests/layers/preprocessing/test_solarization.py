"""Solarization: Keras's transform on identical parameters (float and integer images, another
value range), the reference formula, inference, config and errors."""

import numpy as np
import pytest
import torch

from torchkeras.layers.preprocessing import Solarization

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(2, 4, 4, 3)).astype("float32")
TRANSFORM = {
    "additions": torch.tensor([10.0, 40.0]).reshape(2, 1, 1, 1),
    "thresholds": torch.tensor([128.0, 200.0]).reshape(2, 1, 1, 1),
}


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_transform_matches_keras(keras, value_range):
    images = IMAGES if value_range == (0, 255) else IMAGES / 255.0
    ours = Solarization(value_range=value_range).transform_images(images, TRANSFORM)
    theirs = keras.layers.Solarization(value_range=value_range).transform_images(
        torch.as_tensor(images), TRANSFORM
    )
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-5, atol=1e-5)


def test_reference_formula_and_integer_images():
    x = np.array([[[[100.0], [200.0]]]], "float32")
    out = Solarization().transform_images(x, {"additions": torch.full((1, 1, 1, 1), 30.0),
                                              "thresholds": torch.full((1, 1, 1, 1), 150.0)})  # fmt: skip
    np.testing.assert_allclose(out.numpy().ravel(), [130.0, 255.0 - 230.0])
    ints = torch.tensor(IMAGES, dtype=torch.uint8)
    out = Solarization().transform_images(ints, TRANSFORM)
    assert out.dtype == torch.uint8


def test_threshold_zero_inverts_everything_and_inference_is_identity():
    x = torch.as_tensor(IMAGES)
    layer = Solarization(threshold_factor=(0.0, 0.0), seed=1)
    np.testing.assert_allclose(layer(x, training=True).numpy(), 255 - IMAGES)
    assert torch.equal(layer(x), x)


def test_config_matches_keras_and_errors(keras):
    ours = Solarization(addition_factor=0.2, threshold_factor=(0.1, 0.5), name="s").get_config()
    theirs = keras.layers.Solarization(
        addition_factor=0.2, threshold_factor=(0.1, 0.5), name="s"
    ).get_config()
    assert set(ours) - {"data_format"} == set(theirs) - {"data_format"}
    assert Solarization.from_config(ours).get_config() == ours
    with pytest.raises(ValueError, match="addition_factor"):
        Solarization(addition_factor=2.0)
    with pytest.raises(ValueError, match="threshold_factor"):
        Solarization(threshold_factor=(0.1, 0.2, 0.3))
