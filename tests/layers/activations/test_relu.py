"""ReLU layer: parity with Keras for each option, errors."""

import numpy as np
import pytest

from tests.layer_checks import check_layer
from torchkeras.layers.activations import ReLU

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"max_value": 6.0},
        {"max_value": 1.0, "negative_slope": 0.1},
        {"threshold": 0.5},
        {"negative_slope": 0.2},
        {"max_value": 2.0, "negative_slope": 0.3, "threshold": 0.5},
    ],
)
def test_parity(keras, kwargs):
    x = (RNG.normal(size=(4, 5)) * 3).astype("float32")
    check_layer(lambda: ReLU(**kwargs), x, lambda: keras.layers.ReLU(**kwargs))
    ours, theirs = ReLU(**kwargs).get_config(), keras.layers.ReLU(**kwargs).get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs


def test_errors():
    with pytest.raises(ValueError, match="max_value"):
        ReLU(max_value=-1.0)
    with pytest.raises(ValueError, match="negative_slope"):
        ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="threshold"):
        ReLU(threshold=None)
