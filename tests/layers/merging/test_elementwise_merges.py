"""Add, Subtract, Multiply, Average, Maximum, Minimum (and the `Merge` base): parity with Keras,
masks, functional forms on symbolic tensors, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers import merging
from torchkeras.layers.input_layer import Input

RNG = np.random.default_rng(0)
NAMES = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]


def _inputs(*shapes):
    return [RNG.normal(size=shape).astype("float32") for shape in shapes]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "shapes", [[(3, 4), (3, 4)], [(2, 3, 4), (2, 3, 4)], [(2, 3, 4), (2, 1, 4)], [(2, 3, 4), (2, 4)]]
)
def test_parity(keras, name, shapes):
    check_layer(lambda: getattr(merging, name)(), _inputs(*shapes), lambda: getattr(keras.layers, name)())
    ours, theirs = getattr(merging, name)(), getattr(keras.layers, name)()
    batch_shapes = [(None, *s[1:]) for s in shapes]
    assert tuple(ours.compute_output_shape(batch_shapes)) == tuple(theirs.compute_output_shape(batch_shapes))


@pytest.mark.parametrize("name", ["Add", "Multiply", "Average", "Maximum", "Minimum"])
def test_three_inputs_and_functional_form(keras, name):
    inputs = _inputs((3, 4), (3, 4), (3, 4))
    check_layer(lambda: getattr(merging, name)(), inputs, lambda: getattr(keras.layers, name)())
    function = getattr(merging, name.lower())
    theirs = getattr(keras.layers, name.lower())(inputs)
    np.testing.assert_allclose(
        function([torch.as_tensor(x) for x in inputs]).numpy(), np.asarray(theirs.cpu()), rtol=1e-6
    )
    symbolic = function([Input(shape=(4,)), Input(shape=(4,)), Input(shape=(4,))])
    assert symbolic.shape == (None, 4)


def _masked(array, mask):
    tensor = torch.as_tensor(array)
    tensor._keras_mask = torch.as_tensor(mask)
    return tensor


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("masked", [(True, True), (True, False)])
def test_masks_match_keras(keras, name, masked):
    arrays = _inputs((2, 5, 3), (2, 5, 3))
    masks = [RNG.random((2, 5)) > 0.4 for _ in arrays]
    ours_inputs = [_masked(a, m) if use else torch.as_tensor(a) for a, m, use in zip(arrays, masks, masked)]
    theirs_inputs = [_masked(a, m) if use else torch.as_tensor(a) for a, m, use in zip(arrays, masks, masked)]
    ours = getattr(merging, name)()(ours_inputs)
    theirs = getattr(keras.layers, name)()(theirs_inputs)
    np.testing.assert_allclose(ours.numpy(), theirs.cpu().numpy(), rtol=1e-6)
    theirs_mask = getattr(theirs, "_keras_mask", None)
    if all(masked):
        np.testing.assert_array_equal(ours._keras_mask.numpy(), theirs_mask.cpu().numpy())
        np.testing.assert_array_equal(ours._keras_mask.numpy(), masks[0] | masks[1])
    else:
        assert getattr(ours, "_keras_mask", None) is None and theirs_mask is None


def test_single_input_is_accepted_as_in_keras(keras):
    x = _inputs((2, 3))
    check_layer(merging.Add, x, keras.layers.Add)


def test_errors():
    with pytest.raises(ValueError, match="Add 'add.*list"):
        merging.Add()(torch.ones(2, 3))
    with pytest.raises(ValueError, match="non-empty list"):
        merging.Add()([])
    with pytest.raises(ValueError, match="Maximum '.*incompatible shapes"):
        merging.Maximum()([torch.ones(2, 3), torch.ones(2, 4)])
    with pytest.raises(ValueError, match="different batch sizes"):
        merging.Average()([torch.ones(2, 3), torch.ones(3, 3)])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        merging.Subtract()([torch.ones(2, 3)] * 3)
    with pytest.raises(ValueError, match="incompatible shapes"):
        merging.add([Input(shape=(3,)), Input(shape=(5,))])
    layer = merging.Add()
    layer([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match="incompatible shapes"):
        layer([torch.ones(2, 3), torch.ones(2, 4)])
