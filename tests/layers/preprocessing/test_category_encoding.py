"""CategoryEncoding: parity with Keras for every output mode and input rank, count weights,
a reference formula, out-of-range values, config, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.preprocessing import CategoryEncoding

INPUTS = {
    "rank1": np.array([3, 2, 0, 1]),
    "rank2": np.array([[0, 1], [0, 0], [1, 2], [3, 1]]),
    "column": np.array([[1], [0], [3]]),
}


@pytest.mark.parametrize("output_mode", ["multi_hot", "one_hot", "count", "binary"])
@pytest.mark.parametrize("name", list(INPUTS))
def test_parity(keras, output_mode, name):
    check_layer(
        lambda: CategoryEncoding(4, output_mode=output_mode),
        INPUTS[name],
        lambda: keras.layers.CategoryEncoding(4, output_mode=output_mode),
    )


def test_reference_formulas():
    x = INPUTS["rank2"]
    multi_hot = CategoryEncoding(5)(torch.as_tensor(x)).numpy()
    counts = CategoryEncoding(5, "count")(torch.as_tensor(x)).numpy()
    expected = np.zeros((4, 5), "float32")
    for row, values in enumerate(x):
        for v in values:
            expected[row, v] += 1
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(multi_hot, np.minimum(expected, 1))
    assert multi_hot.dtype == np.float32


def test_count_weights_match_keras(keras):
    x, weights = INPUTS["rank2"], np.array([[0.5, 1.0], [2.0, 0.25], [1.0, 1.0], [3.0, 0.1]], "float32")
    ours = CategoryEncoding(4, "count")(torch.as_tensor(x), count_weights=torch.as_tensor(weights))
    theirs = keras.layers.CategoryEncoding(4, "count")(x, count_weights=weights)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-6)


def test_scalar_and_out_of_range_values(keras):
    for mode in ("one_hot", "multi_hot", "count"):  # a scalar is one sample: (1, 3) / (3,) as Keras
        scalar = CategoryEncoding(3, mode)(torch.tensor(1)).numpy()
        np.testing.assert_array_equal(scalar, np.asarray(keras.layers.CategoryEncoding(3, mode)(np.array(1))))
    # Negative values give zero rows, as in Keras; values >= num_tokens too (Keras raises there).
    out = CategoryEncoding(3, "one_hot")(torch.tensor([-1, 3, 2])).numpy()
    np.testing.assert_array_equal(out, [[0, 0, 0], [0, 0, 0], [0, 0, 1]])
    theirs = keras.layers.CategoryEncoding(3, "one_hot")(np.array([-1, 2]))
    np.testing.assert_array_equal(out[[0, 2]], np.asarray(theirs))


def test_config_and_output_shape(keras):
    ours, theirs = (
        CategoryEncoding(6, "count").get_config(),
        keras.layers.CategoryEncoding(6, "count").get_config(),
    )
    assert {k: v for k, v in ours.items() if k != "name"} == {k: v for k, v in theirs.items() if k != "name"}
    layer = CategoryEncoding(6, "one_hot")
    assert layer.compute_output_shape((None, 1)) == (None, 6)
    assert layer.compute_output_shape((None, 3)) == (None, 3, 6)
    assert CategoryEncoding(6).compute_output_shape((None, 3)) == (None, 6)


def test_errors():
    with pytest.raises(ValueError, match="`output_mode`.*Did you mean 'one_hot'"):
        CategoryEncoding(3, "onehot")
    with pytest.raises(ValueError, match="`num_tokens` must be set"):
        CategoryEncoding()
    with pytest.raises(ValueError, match="`num_tokens` must be >= 1. Received: num_tokens=0"):
        CategoryEncoding(0)
    with pytest.raises(ValueError, match="sparse"):
        CategoryEncoding(3, sparse=True)
    with pytest.raises(ValueError, match="count_weights"):
        CategoryEncoding(3)(torch.tensor([[1, 2]]), count_weights=torch.ones(1, 2))
