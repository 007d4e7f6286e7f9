"""Permute: parity with Keras, views, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.reshaping import Permute

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(("dims", "shape"), [((2, 1), (2, 3, 4)), ((3, 1, 2), (2, 3, 4, 5)), ((1,), (2, 3))])
def test_parity(keras, dims, shape):
    x = RNG.normal(size=shape).astype("float32")
    check_layer(lambda: Permute(dims), x, lambda: keras.layers.Permute(dims))
    ours, theirs = Permute(dims), keras.layers.Permute(dims)
    assert ours.compute_output_shape((None, *shape[1:])) == theirs.compute_output_shape((None, *shape[1:]))
    assert ours.get_config()["dims"] == theirs.get_config()["dims"] == dims


def test_view_and_errors():
    x = torch.randn(2, 3, 4)
    assert Permute((2, 1))(x)._base is x
    with pytest.raises(ValueError, match="dims"):
        Permute((0, 1))
    with pytest.raises(ValueError, match="dims"):
        Permute((1, 3))
    with pytest.raises(ValueError, match="rank 3"):
        Permute((2, 1))(torch.ones(2, 3))
