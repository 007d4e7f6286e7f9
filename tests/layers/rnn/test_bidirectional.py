"""Bidirectional: Keras parity for every merge mode, states, masks, custom backward layers, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from tests.layers.rnn.rnn_checks import MASKS, UNITS, assert_all_close, keras_parity, sequences
from torchkeras.layers.core.dense import Dense
from torchkeras.layers.rnn import GRU, LSTM, Bidirectional, SimpleRNN

MERGE_MODES = ["concat", "sum", "mul", "ave", None]


@pytest.mark.parametrize("merge_mode", MERGE_MODES)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_merge_modes_check_layer(keras, merge_mode, return_sequences):
    check_layer(
        lambda: Bidirectional(LSTM(UNITS, return_sequences=return_sequences), merge_mode=merge_mode),
        sequences(),
        lambda: keras.layers.Bidirectional(
            keras.layers.LSTM(UNITS, return_sequences=return_sequences), merge_mode=merge_mode
        ),
    )


@pytest.mark.parametrize("merge_mode", ["concat", None])
@pytest.mark.parametrize("mask", sorted(MASKS))
@pytest.mark.parametrize("return_sequences", [False, True])
def test_states_and_masks_parity(keras, merge_mode, mask, return_sequences):
    kwargs = {"return_sequences": return_sequences, "return_state": True}
    keras_parity(
        lambda: Bidirectional(GRU(UNITS, **kwargs), merge_mode=merge_mode),
        lambda: keras.layers.Bidirectional(keras.layers.GRU(UNITS, **kwargs), merge_mode=merge_mode),
        sequences(),
        MASKS[mask],
    )


def test_initial_state_parity(keras):
    states = [sequences(s, (3, UNITS)) for s in range(4)]
    ours, theirs = keras_parity(
        lambda: Bidirectional(LSTM(UNITS, return_sequences=True)),
        lambda: keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_sequences=True)),
        sequences(),
    )
    assert_all_close(ours(sequences(), initial_state=states), theirs(sequences(), initial_state=states))


def test_backward_layer_parity(keras):
    check_layer(
        lambda: Bidirectional(
            SimpleRNN(UNITS, return_sequences=True),
            backward_layer=GRU(3, return_sequences=True, go_backwards=True),
            merge_mode="concat",
        ),
        sequences(),
        lambda: keras.layers.Bidirectional(
            keras.layers.SimpleRNN(UNITS, return_sequences=True),
            backward_layer=keras.layers.GRU(3, return_sequences=True, go_backwards=True),
        ),
    )


def test_structure_and_weights(keras):
    inner = LSTM(UNITS, return_sequences=True, name="encoder")
    layer = Bidirectional(inner)
    assert (layer.forward_layer.name, layer.backward_layer.name) == ("forward_encoder", "backward_encoder")
    assert layer.backward_layer.go_backwards and layer.forward_layer.zero_output_for_mask
    layer(sequences())
    assert len(layer.get_weights()) == 6
    assert layer.compute_output_shape((None, 6, 4)) == (None, 6, 2 * UNITS)
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_state=True), merge_mode=None)
    ours = Bidirectional(LSTM(UNITS, return_state=True), merge_mode=None)
    assert ours.compute_output_shape((None, 6, 4)) == tuple(theirs.compute_output_shape((None, 6, 4)))
    weights = [np.full(w.shape, 0.1 * i, "float32") for i, w in enumerate(layer.get_weights())]
    initialized = Bidirectional(LSTM(UNITS, return_sequences=True), weights=weights)
    initialized(sequences())
    for got, expected in zip(initialized.get_weights(), weights):
        np.testing.assert_array_equal(got, expected)


def test_stateful():
    layer = Bidirectional(LSTM(UNITS, stateful=True))
    x = sequences()
    first = layer(x)
    assert len(layer.states) == 4
    assert not torch.allclose(layer(x), first)
    layer.reset_state()
    assert_all_close(layer(x), first)
    with pytest.raises(AttributeError, match="stateful"):
        Bidirectional(LSTM(UNITS)).reset_state()


def test_errors():
    with pytest.raises(ValueError, match="`merge_mode` must be one of"):
        Bidirectional(LSTM(UNITS), merge_mode="max")
    with pytest.raises(ValueError, match="`layer` must be a keras Layer"):
        Bidirectional(torch.nn.LSTM(2, 3))
    with pytest.raises(ValueError, match="`backward_layer.go_backwards` must differ"):
        Bidirectional(LSTM(UNITS), backward_layer=LSTM(UNITS))
    with pytest.raises(ValueError, match="`backward_layer.return_sequences` must equal"):
        Bidirectional(LSTM(UNITS), backward_layer=LSTM(UNITS, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match="`initial_state` must hold the forward states then the backward"):
        Bidirectional(LSTM(UNITS))(sequences(), initial_state=[np.zeros((3, UNITS), "float32")] * 3)
    with pytest.raises(ValueError, match="`layer` must be a recurrent layer"):
        Bidirectional(Dense(3))
