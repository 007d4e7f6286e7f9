"""RandomPerspective: Keras's warp on Keras's draws (formats, interpolations), the homography
against reference cases (identity, a whole-pixel shift), the draw, inference identity, config,
errors."""

import copy

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name, images
from torchkeras.layers import RandomPerspective
from torchkeras.layers.preprocessing.random_perspective import homography

CORNERS = torch.tensor([[[0.0, 0.0], [5.0, 0.0], [0.0, 4.0], [5.0, 4.0]]])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("options", [{}, {"interpolation": "nearest", "fill_value": 3.0, "scale": 0.6}])
def test_matches_keras_on_keras_draws(keras, data_format, options):
    x = torch.as_tensor(images(data_format))
    theirs = keras.layers.RandomPerspective(data_format=data_format, seed=1, **options)
    for _ in range(3):
        draw = theirs.get_random_transformation(x)
        ours = RandomPerspective(data_format=data_format, **options).transform_images(x, copy.deepcopy(draw))
        expected = theirs.transform_images(x.clone(), draw)
        np.testing.assert_allclose(ours.numpy(), np.asarray(expected.detach().cpu()), rtol=1e-5, atol=1e-3)


def test_reference_cases():
    np.testing.assert_allclose(homography(CORNERS, CORNERS).numpy(), [[1, 0, 0, 0, 1, 0, 0, 0]], atol=1e-5)
    x = torch.as_tensor(IMAGES[:1])
    shifted = CORNERS + torch.tensor([1.0, 0.0])  # corners one pixel right: the image moves right
    draw = {"apply_perspective": torch.tensor([True]), "start_points": CORNERS, "end_points": shifted}
    out = RandomPerspective(fill_value=-1.0).transform_images(x, draw).numpy()[0]
    np.testing.assert_allclose(out[:, 1:], IMAGES[0, :, :-1], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(out[:, 0], -1.0)


def test_draw_and_inference():
    draw = RandomPerspective(factor=(0.5, 0.5), scale=0.4, seed=2).get_random_transformation(
        torch.zeros(1000, 5, 6, 1)
    )
    assert 0.45 < float(draw["apply_perspective"].float().mean()) < 0.55
    moves = (draw["end_points"] - draw["start_points"]) / draw["start_points"].clamp_min(1e-9)
    assert float(moves[:, 3].abs().max()) <= 0.2 + 1e-6
    x = torch.as_tensor(IMAGES)
    assert torch.equal(RandomPerspective()(x), x)


def test_config_and_errors(keras):
    ours = RandomPerspective(factor=0.5, scale=0.3, interpolation="nearest", fill_value=1.0, seed=3)
    theirs = keras.layers.RandomPerspective(
        factor=0.5, scale=0.3, interpolation="nearest", fill_value=1.0, seed=3
    )
    assert config_without_name(ours) == config_without_name(theirs)
    assert RandomPerspective.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="`scale` must be a number in"):
        RandomPerspective(scale=1.5)
    with pytest.raises(ValueError, match="interpolation"):
        RandomPerspective(interpolation="bicubic")
