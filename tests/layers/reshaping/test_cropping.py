"""Cropping1D/2D/3D: parity with Keras for both data formats, views, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.input_layer import Input
from torchkeras.layers.reshaping import Cropping1D, Cropping2D, Cropping3D

RNG = np.random.default_rng(0)
CASES = [
    (Cropping1D, (2, 7, 3), {}),
    (Cropping1D, (2, 7, 3), {"cropping": 2}),
    (Cropping1D, (2, 7, 3), {"cropping": (0, 3)}),
    (Cropping2D, (2, 6, 7, 3), {"cropping": 1}),
    (Cropping2D, (2, 6, 7, 3), {"cropping": (1, 2)}),
    (Cropping2D, (2, 6, 7, 3), {"cropping": ((1, 0), (2, 3))}),
    (Cropping2D, (2, 3, 6, 7), {"cropping": ((0, 2), (1, 0)), "data_format": "channels_first"}),
    (Cropping3D, (2, 5, 6, 7, 2), {}),
    (Cropping3D, (2, 5, 6, 7, 2), {"cropping": ((0, 1), 2, (1, 0))}),
    (Cropping3D, (2, 2, 5, 6, 7), {"cropping": (1, 2, 0), "data_format": "channels_first"}),
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


def test_result_is_a_view_and_symbolic():
    x = torch.randn(2, 6, 7, 3)
    output = Cropping2D(((1, 2), (0, 3)))(x)
    assert output.data_ptr() != 0 and output._base is x
    torch.testing.assert_close(output, x[:, 1:4, 0:4, :])
    assert Cropping2D(1)(Input(shape=(None, 5, 3))).shape == (None, None, 3, 3)


def test_errors():
    with pytest.raises(ValueError, match="cropping"):
        Cropping1D(-1)
    with pytest.raises(ValueError, match="cropping"):
        Cropping2D(((1, 1), (1, 1), (1, 1)))
    with pytest.raises(ValueError, match="cropping"):
        Cropping3D(((1, 1), (1, -1), (1, 1)))
    with pytest.raises(ValueError, match="less than the input"):
        Cropping1D((2, 3))(torch.ones(1, 5, 2))
    with pytest.raises(ValueError, match="less than the input"):
        Cropping2D(((1, 1), (3, 3)))(torch.ones(1, 5, 6, 2))
    with pytest.raises(ValueError, match="less than the input"):
        Cropping2D(3).compute_output_shape((None, 6, 8, 2))
    with pytest.raises(ValueError, match="rank 4"):
        Cropping2D(1)(torch.ones(1, 5, 6))
    with pytest.raises(ValueError, match="data_format"):
        Cropping2D(1, data_format="channel_last")
