"""ELU layer: parity with Keras."""

import numpy as np
import pytest

from tests.layer_checks import check_layer
from torchkeras.layers.activations import ELU

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_parity(keras, alpha):
    x = (RNG.normal(size=(4, 5)) * 2).astype("float32")
    output = check_layer(lambda: ELU(alpha), x, lambda: keras.layers.ELU(alpha))
    np.testing.assert_allclose(output, np.where(x > 0, x, alpha * np.expm1(x)), rtol=1e-5, atol=1e-6)
    ours, theirs = ELU(alpha).get_config(), keras.layers.ELU(alpha).get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs
