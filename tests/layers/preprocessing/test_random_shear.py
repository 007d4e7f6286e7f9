"""RandomShear: Keras's warp on the same draw (formats, fill modes, interpolations), the draw, a
reference (integer shears move whole pixels), inference identity, config, errors."""

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name, images
from torchkeras.layers import RandomShear

DRAW = {"shear_factor": torch.tensor([[0.1, -0.2], [0.4, 0.0], [-0.3, 0.3]])}


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "fill_mode, interpolation", [("reflect", "bilinear"), ("constant", "nearest"), ("wrap", "bilinear")]
)
def test_warp_matches_keras(keras, data_format, fill_mode, interpolation):
    x = torch.as_tensor(images(data_format))
    kwargs = {"x_factor": 0.5, "y_factor": 0.5, "fill_mode": fill_mode, "interpolation": interpolation}
    draw = {**DRAW, "input_shape": tuple(x.shape)}
    ours = RandomShear(**kwargs, data_format=data_format).transform_images(x, draw)
    theirs = keras.layers.RandomShear(**kwargs, data_format=data_format).transform_images(x, draw)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-5, atol=1e-3)


def test_reference_whole_pixel_shear():
    # sx = 1: output (y, x) reads input (y, x + y) (wrapping).
    x = torch.as_tensor(IMAGES[:1])
    out = RandomShear(1.0, fill_mode="wrap").transform_images(x, {"shear_factor": torch.tensor([[1.0, 0.0]])})
    expected = np.stack([np.roll(IMAGES[0, y], -y, axis=0) for y in range(IMAGES.shape[1])])
    np.testing.assert_allclose(out.numpy()[0], expected, rtol=1e-5)


def test_draw_and_inference():
    draw = RandomShear((0.1, 0.2), 0.0, seed=1).get_random_transformation(torch.zeros(500, 3, 3, 1))
    shear = draw["shear_factor"].numpy()
    assert np.all((np.abs(shear[:, 0]) >= 0.1 - 1e-6) & (np.abs(shear[:, 0]) <= 0.2 + 1e-6))
    assert np.all(shear[:, 1] == 0) and 0.4 < (shear[:, 0] > 0).mean() < 0.6
    x = torch.as_tensor(IMAGES)
    assert torch.equal(RandomShear(0.3)(x), x)


def test_config_and_errors(keras):
    ours = RandomShear(0.2, (0.1, 0.3), fill_mode="constant", fill_value=1.0, seed=3)
    theirs = keras.layers.RandomShear(0.2, (0.1, 0.3), fill_mode="constant", fill_value=1.0, seed=3)
    assert config_without_name(ours) == config_without_name(theirs)
    # (Keras 3.15 cannot rebuild its own saved range (-0.2, 0.2); we can.)
    assert RandomShear.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="`x_factor` must be a number"):
        RandomShear(1.5)
    with pytest.raises(ValueError, match="`y_factor` must be a number"):
        RandomShear(0.1, (-1.2, 0.1))
    with pytest.raises(ValueError, match="fill_mode"):
        RandomShear(0.1, fill_mode="mirror")
