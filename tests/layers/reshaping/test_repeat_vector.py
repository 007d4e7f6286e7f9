"""RepeatVector: parity with Keras, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.reshaping import RepeatVector

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("n", [1, 3])
def test_parity(keras, n):
    x = RNG.normal(size=(2, 5)).astype("float32")
    output = check_layer(lambda: RepeatVector(n), x, lambda: keras.layers.RepeatVector(n))
    np.testing.assert_array_equal(output, np.repeat(x[:, None], n, axis=1))
    assert RepeatVector(n).compute_output_shape((None, 5)) == keras.layers.RepeatVector(
        n
    ).compute_output_shape((None, 5))


def test_errors():
    with pytest.raises(ValueError, match="`n` must be a positive integer"):
        RepeatVector(0)
    with pytest.raises(ValueError, match="rank 2"):
        RepeatVector(2)(torch.ones(2, 3, 4))
