"""Dot: parity with Keras for several axes and ranks, normalization, functional form, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.input_layer import Input
from torchkeras.layers.merging import Dot, dot

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("axes", "shapes"),
    [
        (1, [(3, 4), (3, 4)]),
        (-1, [(2, 5, 4), (2, 6, 4)]),
        ((1, 2), [(2, 5, 3), (2, 4, 5)]),
        ((2, 1), [(2, 3, 4), (2, 4)]),
        ((1, 1), [(2, 4), (2, 4, 3)]),
        ((2, 3), [(2, 3, 4, 2), (2, 5, 3, 4)]),
    ],
)
@pytest.mark.parametrize("normalize", [False, True])
def test_parity(keras, axes, shapes, normalize):
    inputs = [RNG.normal(size=s).astype("float32") for s in shapes]
    check_layer(
        lambda: Dot(axes, normalize=normalize), inputs, lambda: keras.layers.Dot(axes, normalize=normalize)
    )
    batch_shapes = [(None, *s[1:]) for s in shapes]
    assert Dot(axes).compute_output_shape(batch_shapes) == keras.layers.Dot(axes).compute_output_shape(
        batch_shapes
    )


def test_cosine_reference_and_functional_form():
    x, y = torch.randn(4, 6), torch.randn(4, 6)
    expected = torch.nn.functional.cosine_similarity(x, y, dim=1).unsqueeze(1)
    torch.testing.assert_close(dot([x, y], axes=1, normalize=True), expected)
    assert dot([Input(shape=(5, 3)), Input(shape=(4, 5))], axes=(1, 2)).shape == (None, 3, 4)
    assert Dot(axes=[1, 2]).get_config()["axes"] == [1, 2]


def test_errors():
    with pytest.raises(ValueError, match="axes"):
        Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match="axes"):
        Dot(axes="last")
    with pytest.raises(ValueError, match="Dot '.*incompatible input shapes"):
        Dot(1)([torch.ones(2, 3), torch.ones(2, 4)])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        Dot(1)([torch.ones(2, 3)] * 3)
    with pytest.raises(ValueError, match="non-batch axis"):
        Dot(0)([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match="incompatible input shapes"):
        dot([Input(shape=(3,)), Input(shape=(4,))], axes=1)
