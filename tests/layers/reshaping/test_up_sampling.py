"""UpSampling1D/2D/3D: parity with Keras (nearest, bilinear, bicubic), both data formats, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.input_layer import Input
from torchkeras.layers.reshaping import UpSampling1D, UpSampling2D, UpSampling3D

RNG = np.random.default_rng(0)
CASES = [
    (UpSampling1D, (2, 3, 4), {}),
    (UpSampling1D, (2, 3, 4), {"size": 3}),
    (UpSampling2D, (2, 3, 4, 2), {}),
    (UpSampling2D, (2, 3, 4, 2), {"size": (3, 1)}),
    (UpSampling2D, (2, 2, 3, 4), {"size": 2, "data_format": "channels_first"}),
    (UpSampling2D, (2, 3, 4, 2), {"size": (2, 3), "interpolation": "bilinear"}),
    (UpSampling2D, (2, 2, 3, 4), {"size": 3, "interpolation": "bilinear", "data_format": "channels_first"}),
    (UpSampling2D, (2, 4, 3, 2), {"size": (2, 2), "interpolation": "bicubic"}),
    (UpSampling3D, (2, 2, 3, 2, 2), {}),
    (UpSampling3D, (2, 2, 3, 2, 2), {"size": (1, 2, 3)}),
    (UpSampling3D, (2, 2, 2, 3, 2), {"size": 2, "data_format": "channels_first"}),
]


@pytest.mark.parametrize(("cls", "shape", "kwargs"), CASES)
def test_parity(keras, cls, shape, kwargs):
    x = RNG.normal(size=shape).astype("float32")
    check_layer(lambda: cls(**kwargs), x, lambda: getattr(keras.layers, cls.__name__)(**kwargs))
    ours, theirs = cls(**kwargs), getattr(keras.layers, cls.__name__)(**kwargs)
    assert tuple(ours.compute_output_shape((None, *shape[1:]))) == tuple(
        theirs.compute_output_shape((None, *shape[1:]))
    )
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    ours_config.pop("name"), theirs_config.pop("name")
    assert ours_config == theirs_config


def test_bilinear_uses_half_pixel_centers():
    x = torch.tensor([[[[0.0], [4.0]]]])  # (1, 1, 2, 1): one row, two columns
    output = UpSampling2D((1, 2), interpolation="bilinear")(x)
    torch.testing.assert_close(output.flatten(), torch.tensor([0.0, 1.0, 3.0, 4.0]))


def test_nearest_reference_gradient_and_symbolic():
    x = torch.arange(6.0).reshape(1, 3, 2).requires_grad_()
    output = UpSampling1D(2)(x)
    torch.testing.assert_close(output.detach(), x.detach().repeat_interleave(2, dim=1))
    output.sum().backward()
    torch.testing.assert_close(x.grad, torch.full_like(x, 2.0))
    assert UpSampling2D(2)(Input(shape=(None, 3, 4))).shape == (None, None, 6, 4)


def test_errors():
    with pytest.raises(ValueError, match="size"):
        UpSampling1D(0)
    with pytest.raises(ValueError, match="size"):
        UpSampling2D((2, 2, 2))
    with pytest.raises(ValueError, match="Did you mean 'bilinear'"):
        UpSampling2D(interpolation="bilinaer")
    with pytest.raises(ValueError, match="interpolation"):
        UpSampling3D(interpolation="bilinear")
    with pytest.raises(ValueError, match="rank 3"):
        UpSampling1D(2)(torch.ones(2, 3))
