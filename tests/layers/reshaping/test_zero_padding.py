"""ZeroPadding1D/2D/3D: parity with Keras for both data formats, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.input_layer import Input
from torchkeras.layers.reshaping import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D

RNG = np.random.default_rng(0)
CASES = [
    (ZeroPadding1D, (2, 4, 3), {}),
    (ZeroPadding1D, (2, 4, 3), {"padding": (0, 2)}),
    (ZeroPadding1D, (2, 3, 4), {"padding": 2, "data_format": "channels_first"}),
    (ZeroPadding2D, (2, 3, 4, 2), {}),
    (ZeroPadding2D, (2, 3, 4, 2), {"padding": (2, 0)}),
    (ZeroPadding2D, (2, 3, 4, 2), {"padding": ((1, 0), (2, 3))}),
    (ZeroPadding2D, (2, 2, 3, 4), {"padding": ((0, 2), (1, 0)), "data_format": "channels_first"}),
    (ZeroPadding3D, (2, 2, 3, 2, 2), {}),
    (ZeroPadding3D, (2, 2, 3, 2, 2), {"padding": ((0, 1), 2, (1, 0))}),
    (ZeroPadding3D, (2, 2, 3, 2, 2), {"padding": 1, "data_format": "channels_first"}),
]


@pytest.mark.parametrize(("cls", "shape", "kwargs"), CASES)
def test_parity(keras, cls, shape, kwargs):
    x = RNG.normal(size=shape).astype("float32")
    check_layer(lambda: cls(**kwargs), x, lambda: getattr(keras.layers, cls.__name__)(**kwargs))
    ours, theirs = cls(**kwargs), getattr(keras.layers, cls.__name__)(**kwargs)
    assert ours.compute_output_shape((None, *shape[1:])) == theirs.compute_output_shape((None, *shape[1:]))
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    ours_config.pop("name"), theirs_config.pop("name")
    assert ours_config == theirs_config


def test_reference_and_symbolic():
    x = torch.ones(1, 2, 3, 1)
    output = ZeroPadding2D(((1, 0), (0, 2)))(x)
    expected = torch.zeros(1, 3, 5, 1)
    expected[:, 1:, :3] = 1
    assert torch.equal(output, expected)
    assert ZeroPadding1D(2)(Input(shape=(None, 3))).shape == (None, None, 3)


def test_errors():
    with pytest.raises(ValueError, match="padding"):
        ZeroPadding1D(-1)
    with pytest.raises(ValueError, match="padding"):
        ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="padding"):
        ZeroPadding3D(((1, 1), (1, 1)))
    with pytest.raises(ValueError, match="rank 5"):
        ZeroPadding3D(1)(torch.ones(1, 2, 2, 2))
