"""GroupNormalization: parity with Keras for several groups and axes, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.normalization import GroupNormalization

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((3, 8), {"groups": 4}),
        ((2, 5, 8), {"groups": 2}),
        ((2, 4, 4, 6), {"groups": 3}),
        ((2, 4, 4, 6), {"groups": -1}),
        ((2, 4, 4, 6), {"groups": 1, "epsilon": 0.1}),
        ((2, 6, 4, 4), {"groups": 3, "axis": 1}),
        ((2, 4, 6, 3), {"groups": 2, "axis": 2}),
        ((2, 5, 8), {"groups": 4, "center": False, "gamma_initializer": "random_normal"}),
        ((2, 5, 8), {"groups": 4, "scale": False, "beta_initializer": "random_normal"}),
    ],
)
def test_parity(keras, shape, kwargs):
    x = (RNG.normal(size=shape) * 2 + 1).astype("float32")
    check_layer(
        lambda: GroupNormalization(**kwargs), x, lambda: keras.layers.GroupNormalization(**kwargs), atol=1e-4
    )


def test_reference_formula():
    x = torch.as_tensor(RNG.normal(size=(2, 3, 6)).astype("float32"))
    output = GroupNormalization(groups=2)(x)
    grouped = x.reshape(2, 3, 2, 3)
    mean = grouped.mean(dim=(1, 3), keepdim=True)
    variance = grouped.var(dim=(1, 3), keepdim=True, correction=0)
    expected = ((grouped - mean) / torch.sqrt(variance + 1e-3)).reshape(2, 3, 6)
    torch.testing.assert_close(output, expected, rtol=1e-5, atol=1e-5)


def test_config(keras):
    ours, theirs = GroupNormalization(groups=-1), keras.layers.GroupNormalization(groups=-1)
    ours.build((None, 5, 6))
    theirs.build((None, 5, 6))
    assert ours.get_config()["groups"] == theirs.get_config()["groups"] == 6
    assert ours.count_params() == theirs.count_params() == 12


def test_errors():
    with pytest.raises(ValueError, match="groups"):
        GroupNormalization(groups=0)
    with pytest.raises(ValueError, match="groups"):
        GroupNormalization(groups=4)(torch.ones(2, 6))
    with pytest.raises(ValueError, match="groups"):
        GroupNormalization(groups=8)(torch.ones(2, 6))
    with pytest.raises(ValueError, match="axis"):
        GroupNormalization(groups=2, axis=[1, 2])
    with pytest.raises(ValueError, match="out of bounds"):
        GroupNormalization(groups=2, axis=4)(torch.ones(2, 6))
