"""UnitNormalization: parity with Keras, zero vectors, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.normalization import UnitNormalization

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("shape", "axis"), [((3, 5), -1), ((2, 3, 4), 1), ((2, 3, 4), [1, 2]), ((2, 3, 4), (-2, -1))]
)
def test_parity(keras, shape, axis):
    x = RNG.normal(size=shape).astype("float32")
    output = check_layer(lambda: UnitNormalization(axis), x, lambda: keras.layers.UnitNormalization(axis))
    norms = np.sqrt(np.sum(output**2, axis=tuple(axis) if isinstance(axis, (list, tuple)) else axis))
    np.testing.assert_allclose(norms, 1.0, rtol=1e-5)


def test_zero_vector_and_config():
    output = UnitNormalization()(torch.zeros(2, 3))
    assert torch.equal(output, torch.zeros(2, 3))
    assert UnitNormalization(axis=[1, 2]).get_config()["axis"] == [1, 2]


def test_errors():
    with pytest.raises(ValueError, match="axis"):
        UnitNormalization(axis=1.5)
    with pytest.raises(ValueError, match="out of bounds"):
        UnitNormalization(axis=2)(torch.ones(2, 3))
