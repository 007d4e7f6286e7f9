"""torchkeras.utils.sequence_utils: pad_sequences against keras.utils.pad_sequences."""

import numpy as np
import pytest

from torchkeras.utils.sequence_utils import pad_sequences

SEQUENCES = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]]


@pytest.mark.parametrize(
    "sequences, kwargs",
    [
        (SEQUENCES, {}),
        (SEQUENCES, {"maxlen": 3}),
        (SEQUENCES, {"maxlen": 3, "truncating": "post"}),
        (SEQUENCES, {"maxlen": 6, "padding": "post", "value": -1}),
        (SEQUENCES, {"maxlen": 2, "padding": "post", "truncating": "post"}),
        ([[1.5, 2.5], [3.0]], {"dtype": "float32", "value": 0.5}),
        ([np.arange(3), np.arange(5)], {"maxlen": 4}),
        ([np.ones((2, 3)), np.zeros((4, 3))], {"dtype": "float64"}),
        ([["a", "b"], ["c"]], {"dtype": object, "value": "<pad>"}),
        ([["a", "bb"], ["c"]], {"dtype": "<U3", "value": "?"}),
        ([[1], [2, 3]], {"dtype": "int64"}),
    ],
)
def test_parity(keras, sequences, kwargs):
    expected = keras.utils.pad_sequences(sequences, **kwargs)
    result = pad_sequences(sequences, **kwargs)
    assert isinstance(result, np.ndarray)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)


def test_empty_input_gives_empty_array():
    # Keras fails here (max of no lengths); an empty batch is the useful answer.
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([], maxlen=4).shape == (0, 4)


def test_errors():
    with pytest.raises(ValueError, match="padding.*Did you mean 'post'"):
        pad_sequences(SEQUENCES, padding="pots")
    with pytest.raises(ValueError, match="truncating"):
        pad_sequences(SEQUENCES, truncating="middle")
    with pytest.raises(ValueError, match="non-iterable"):
        pad_sequences([[1], 2])
    with pytest.raises(ValueError, match="string"):
        pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match="shape"):
        pad_sequences([np.ones((2, 3)), np.ones((2, 4))])
