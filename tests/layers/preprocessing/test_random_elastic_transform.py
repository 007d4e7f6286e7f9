"""RandomElasticTransform: Keras's elastic transform on the same noise fields (formats, fill
modes, interpolations), the sampler against Keras's map_coordinates, reference cases, the draw,
inference identity, config, errors."""

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name, images
from torchkeras.layers import RandomElasticTransform
from torchkeras.layers.preprocessing.random_elastic_transform import sample_at

MODES = ["constant", "nearest", "wrap", "mirror", "reflect"]


def _keras_noise(batch, height, width, seed):
    # Keras 3.15 draws dx then dy from torch's global generator inside ops.image.elastic_transform.
    torch.manual_seed(seed)
    dx = torch.normal(0.0, 1.0, size=(batch, height, width))
    dy = torch.normal(0.0, 1.0, size=(batch, height, width))
    return torch.stack([dx, dy])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "fill_mode, interpolation", [("reflect", "bilinear"), ("constant", "nearest"), ("mirror", "bilinear")]
)
def test_matches_keras_on_the_same_noise(keras, data_format, fill_mode, interpolation):
    x = torch.as_tensor(images(data_format))
    layer = RandomElasticTransform(
        fill_mode=fill_mode, interpolation=interpolation, fill_value=9.0, data_format=data_format
    )
    height, width = 5, 6
    distortion = 0.8
    alpha, sigma = layer.get_elastic_transform_params(height, width, distortion)
    draw = {
        "apply_transform": torch.tensor([True, True, True]),
        "distortion_factor": torch.tensor(distortion),
        "noise": _keras_noise(3, height, width, seed=11),
    }
    ours = layer.transform_images(x, draw)
    torch.manual_seed(11)
    theirs = keras.ops.image.elastic_transform(
        x, alpha=alpha, sigma=sigma, interpolation=interpolation, fill_mode=fill_mode, fill_value=9.0,
        data_format=data_format,
    )  # fmt: skip
    np.testing.assert_allclose(ours.numpy(), np.clip(np.asarray(theirs.cpu()), 0, 255), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("fill_mode", MODES)
@pytest.mark.parametrize("interpolation, order", [("bilinear", 1), ("nearest", 0)])
def test_sampler_matches_keras_map_coordinates(keras, fill_mode, interpolation, order):
    from keras.src.backend.torch.image import map_coordinates

    x = torch.as_tensor(IMAGES[:2])
    generator = torch.Generator().manual_seed(0)
    ys = torch.rand((2, 5, 6), generator=generator) * 11 - 3
    xs = torch.rand((2, 5, 6), generator=generator) * 12 - 3
    ours = sample_at(x, ys, xs, interpolation, fill_mode, 5.0)
    for b in range(2):
        for c in range(3):
            theirs = map_coordinates(x[b, ..., c], [ys[b], xs[b]], order, fill_mode, 5.0)
            np.testing.assert_allclose(ours[b, ..., c].numpy(), theirs.numpy(), rtol=1e-5, atol=1e-4)


def test_zero_noise_is_the_identity_and_draws_repeat():
    x = torch.as_tensor(IMAGES)
    draw = {
        "apply_transform": torch.ones(3, dtype=torch.bool),
        "distortion_factor": torch.tensor(1.0),
        "noise": torch.zeros(2, 3, 5, 6),
    }
    np.testing.assert_allclose(RandomElasticTransform().transform_images(x, draw).numpy(), IMAGES, rtol=1e-6)
    first = RandomElasticTransform(seed=3)(x, training=True)
    np.testing.assert_array_equal(first.numpy(), RandomElasticTransform(seed=3)(x, training=True).numpy())
    assert not torch.allclose(first, x)
    assert torch.equal(RandomElasticTransform()(x), x)
    assert RandomElasticTransform(scale=0.0).get_random_transformation(x) is None


def test_config_and_errors(keras):
    kwargs = {
        "factor": 0.5,
        "scale": 0.3,
        "fill_mode": "mirror",
        "fill_value": 1.0,
        "value_range": (0, 1),
        "seed": 2,
    }
    ours, theirs = RandomElasticTransform(**kwargs), keras.layers.RandomElasticTransform(**kwargs)
    assert config_without_name(ours) == config_without_name(theirs)
    assert RandomElasticTransform.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="fill_mode"):
        RandomElasticTransform(fill_mode="edge")
    with pytest.raises(ValueError, match="factor"):
        RandomElasticTransform(scale=2.0)
