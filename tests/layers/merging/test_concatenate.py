"""Concatenate: parity with Keras on several axes, masks, functional form, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.input_layer import Input
from torchkeras.layers.merging import Concatenate, concatenate

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("axis", "shapes"),
    [
        (-1, [(2, 3), (2, 4)]),
        (1, [(2, 3, 4), (2, 5, 4)]),
        (-1, [(2, 3, 4), (2, 3, 1), (2, 3, 2)]),
        (2, [(2, 3, 4), (2, 3, 2)]),
    ],
)
def test_parity(keras, axis, shapes):
    inputs = [RNG.normal(size=s).astype("float32") for s in shapes]
    check_layer(lambda: Concatenate(axis), inputs, lambda: keras.layers.Concatenate(axis))
    batch_shapes = [(None, *s[1:]) for s in shapes]
    assert Concatenate(axis).compute_output_shape(batch_shapes) == keras.layers.Concatenate(
        axis
    ).compute_output_shape(batch_shapes)
    assert concatenate([Input(shape=s[1:]) for s in shapes], axis=axis).shape == (
        None,
        *Concatenate(axis).compute_output_shape(shapes)[1:],
    )


@pytest.mark.parametrize("axis", [-1, 1])
@pytest.mark.parametrize("masked", [(True, True), (True, False), (False, True)])
def test_masks_match_keras(keras, axis, masked):
    arrays = [RNG.normal(size=(2, 4, 3)).astype("float32") for _ in range(2)]
    masks = [RNG.random((2, 4)) > 0.5 for _ in arrays]

    def make():
        tensors = [torch.as_tensor(a) for a in arrays]
        for tensor, mask, use in zip(tensors, masks, masked):
            if use:
                tensor._keras_mask = torch.as_tensor(mask)
        return tensors

    ours = Concatenate(axis)(make())
    theirs = keras.layers.Concatenate(axis)(make())
    np.testing.assert_array_equal(ours.numpy(), theirs.cpu().numpy())
    np.testing.assert_array_equal(ours._keras_mask.numpy(), theirs._keras_mask.cpu().numpy())


def test_errors():
    with pytest.raises(ValueError, match="Concatenate '.*matching shapes"):
        Concatenate()([torch.ones(2, 3), torch.ones(3, 3)])
    with pytest.raises(ValueError, match="same rank"):
        Concatenate()([torch.ones(2, 3), torch.ones(2, 3, 1)])
    with pytest.raises(ValueError, match="matching shapes"):
        concatenate([Input(shape=(3, 4)), Input(shape=(5, 4))], axis=-1)
    with pytest.raises(ValueError, match="axis"):
        Concatenate(axis="last")
    with pytest.raises(ValueError, match="list"):
        Concatenate()(torch.ones(2, 3))
