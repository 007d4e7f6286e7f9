"""RMSNormalization: parity with Keras, non-trailing axes against a formula, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.normalization import RMSNormalization

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [((3, 6), {}), ((2, 3, 5), {}), ((2, 3, 5), {"axis": [1, 2]}), ((2, 3, 5), {"epsilon": 0.5})],
)
def test_parity(keras, shape, kwargs):
    x = (RNG.normal(size=shape) + 0.5).astype("float32")
    check_layer(lambda: RMSNormalization(**kwargs), x, lambda: keras.layers.RMSNormalization(**kwargs))


def test_defaults_match_keras(keras):
    ours, theirs = RMSNormalization(), keras.layers.RMSNormalization()
    assert ours.get_config()["epsilon"] == theirs.get_config()["epsilon"] == 1e-6
    ours.build((None, 4, 5))
    theirs.build((None, 4, 5))
    assert [w.name for w in ours.weights] == ["scale"]
    assert ours.get_config()["axis"] == theirs.get_config()["axis"] == [-1]


def test_non_trailing_axis_reference():
    x = torch.as_tensor(RNG.normal(size=(2, 3, 4)).astype("float32"))
    layer = RMSNormalization(axis=1)
    with torch.no_grad():
        layer.build(tuple(x.shape))
        layer.scale.copy_(torch.tensor([0.5, 1.0, 2.0]))
    expected = x / torch.sqrt(torch.mean(x**2, dim=1, keepdim=True) + 1e-6) * layer.scale.reshape(1, 3, 1)
    torch.testing.assert_close(layer(x), expected, rtol=1e-5, atol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="axis"):
        RMSNormalization(axis=None)
    with pytest.raises(ValueError, match="out of bounds"):
        RMSNormalization(axis=2)(torch.ones(2, 3))
