"""Masking: Keras parity of outputs and masks, masks reaching an LSTM, config."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.core.masking import Masking
from torchkeras.layers.rnn import LSTM


def _padded(mask_value=0.0):
    x = np.random.default_rng(0).normal(size=(3, 5, 4)).astype("float32")
    x[0, 3:] = mask_value
    x[1, 1] = mask_value
    x[2, 0, :2] = mask_value  # partly equal: not masked
    return x


@pytest.mark.parametrize("mask_value", [0.0, -1.0])
def test_parity(keras, mask_value):
    x = _padded(mask_value)
    out = check_layer(lambda: Masking(mask_value), x, lambda: keras.layers.Masking(mask_value))
    theirs = keras.layers.Masking(mask_value)(x)
    np.testing.assert_array_equal(out, theirs.detach().numpy())
    ours = Masking(mask_value)(torch.as_tensor(x))
    expected_mask = np.any(x != mask_value, axis=-1)
    np.testing.assert_array_equal(ours._keras_mask.numpy(), expected_mask)
    np.testing.assert_array_equal(theirs._keras_mask.detach().numpy(), expected_mask)


def test_mask_reaches_lstm(keras):
    x = _padded()
    theirs_lstm = keras.layers.LSTM(3, return_sequences=True)
    theirs = theirs_lstm(keras.layers.Masking()(x))
    ours_lstm = LSTM(3, return_sequences=True)
    ours_lstm(x)
    ours_lstm.set_weights(theirs_lstm.get_weights())
    ours = ours_lstm(Masking()(torch.as_tensor(x)))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours._keras_mask.numpy(), np.any(x != 0, axis=-1))


def test_config_and_errors(keras):
    config = Masking(mask_value=2.5).get_config()
    assert config["mask_value"] == 2.5
    assert set(config) == set(keras.layers.Masking().get_config())
    assert Masking().compute_output_shape((None, 5, 4)) == (None, 5, 4)
    with pytest.raises(ValueError, match="`mask_value` must be a number"):
        Masking(mask_value="pad")
