"""RandomInvert: Keras's transform on identical parameters, the draw's rule (factor (1, 1)
inverts all, (0, 0) none), inference identity, config and errors."""

import numpy as np
import pytest
import torch

from torchkeras.layers.preprocessing import RandomInvert

IMAGES = np.random.default_rng(0).integers(0, 256, size=(3, 4, 5, 3)).astype("float32")


def test_transform_matches_keras_on_the_same_parameters(keras):
    apply = torch.tensor([True, False, True])
    ours = RandomInvert(value_range=(0, 255)).transform_images(IMAGES, {"apply_inversion": apply})
    theirs = keras.layers.RandomInvert(value_range=(0, 255)).transform_images(
        torch.as_tensor(IMAGES), {"apply_inversion": apply}
    )
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()))
    np.testing.assert_allclose(ours.numpy()[0], 255 - IMAGES[0])


def test_factor_bounds_decide_the_draw_and_inference_is_identity():
    x = torch.as_tensor(IMAGES)
    assert torch.equal(RandomInvert(factor=(1.0, 1.0), seed=1)(x, training=True), 255 - x)
    assert torch.equal(RandomInvert(factor=(0.0, 0.0), seed=1)(x, training=True), x)
    assert torch.equal(RandomInvert(seed=1)(x), x)
    a = RandomInvert(seed=3)(x, training=True)
    b = RandomInvert(seed=3)(x, training=True)
    assert torch.equal(a, b)


def test_config_matches_keras_and_errors(keras):
    ours = RandomInvert(factor=0.5, value_range=(0, 1), seed=2, name="inv").get_config()
    theirs = keras.layers.RandomInvert(factor=0.5, value_range=(0, 1), seed=2, name="inv").get_config()
    assert set(ours) == set(theirs)
    assert list(ours["factor"]) == list(theirs["factor"])
    assert RandomInvert.from_config(ours).get_config() == ours
    with pytest.raises(ValueError, match="factor"):
        RandomInvert(factor=1.5)
