"""LeakyReLU layer: parity with Keras, the deprecated `alpha`, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.activations import LeakyReLU

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("kwargs", [{}, {"negative_slope": 0.05}])
def test_parity(keras, kwargs):
    x = RNG.normal(size=(4, 5)).astype("float32")
    check_layer(lambda: LeakyReLU(**kwargs), x, lambda: keras.layers.LeakyReLU(**kwargs))
    assert (
        LeakyReLU().get_config()["negative_slope"]
        == keras.layers.LeakyReLU().get_config()["negative_slope"]
        == 0.3
    )


def test_alpha_and_errors():
    with pytest.warns(UserWarning, match="negative_slope"):
        layer = LeakyReLU(alpha=0.5)
    torch.testing.assert_close(layer(torch.tensor([-2.0, 2.0])), torch.tensor([-1.0, 2.0]))
    with pytest.raises(ValueError, match="negative_slope"):
        LeakyReLU(negative_slope=-0.1)
