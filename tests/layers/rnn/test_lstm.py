"""LSTM and LSTMCell: Keras parity for every option, weight layouts, a torch reference, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from tests.layers.rnn.rnn_checks import (
    FEATURES,
    MASKS,
    UNITS,
    assert_all_close,
    keras_parity,
    sequences,
    without_name,
)
from torchkeras.layers.rnn import LSTM, RNN, LSTMCell

VARIANTS = {
    "default": {},
    "relu": {"activation": "relu"},  # not fusable: the step loop runs
    "no_bias": {"use_bias": False},
    "no_forget_bias": {"unit_forget_bias": False, "bias_initializer": "ones"},
    "hard_sigmoid": {"recurrent_activation": "hard_sigmoid"},
}


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_check_layer(keras, return_sequences, return_state):
    kwargs = {"return_sequences": return_sequences, "return_state": return_state}
    check_layer(lambda: LSTM(UNITS, **kwargs), sequences(), lambda: keras.layers.LSTM(UNITS, **kwargs))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("mask", sorted(MASKS))
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_options_parity(keras, variant, mask, go_backwards, return_sequences):
    kwargs = {
        **VARIANTS[variant],
        "return_sequences": return_sequences,
        "return_state": True,
        "go_backwards": go_backwards,
    }
    keras_parity(
        lambda: LSTM(UNITS, **kwargs), lambda: keras.layers.LSTM(UNITS, **kwargs), sequences(), MASKS[mask]
    )


def test_initial_state_parity(keras):
    rng = np.random.default_rng(1)
    h, c = (rng.normal(size=(3, UNITS)).astype("float32") for _ in range(2))
    ours, theirs = keras_parity(
        lambda: LSTM(UNITS, return_state=True),
        lambda: keras.layers.LSTM(UNITS, return_state=True),
        sequences(),
    )
    assert_all_close(
        ours(torch.as_tensor(sequences()), initial_state=[torch.as_tensor(h), torch.as_tensor(c)]),
        theirs(sequences(), initial_state=[h, c]),
    )
    assert_all_close(ours(sequences(), initial_state=[h, c]), theirs(sequences(), initial_state=[h, c]))


def test_stateful_two_calls_parity(keras):
    ours = LSTM(UNITS, stateful=True, return_sequences=True)
    theirs = keras.layers.LSTM(UNITS, stateful=True, return_sequences=True)
    theirs(sequences())
    ours(sequences())
    ours.set_weights(theirs.get_weights())
    ours.reset_state()
    theirs.reset_state()
    for seed in (1, 2):  # the second call starts from the first call's final states
        assert_all_close(ours(torch.as_tensor(sequences(seed))), theirs(sequences(seed)))
    assert_all_close(ours.states, theirs.states)
    ours.reset_states()
    assert all(float(s.abs().sum()) == 0 for s in ours.states)
    assert len(ours.weights) == 3  # the states are not weights


def test_cell_parity(keras):
    check_layer(
        lambda: RNN(LSTMCell(UNITS)), sequences(), lambda: keras.layers.RNN(keras.layers.LSTMCell(UNITS))
    )
    cell, keras_cell = LSTMCell(UNITS), keras.layers.LSTMCell(UNITS)
    x, h, c = (
        np.random.default_rng(s).normal(size=(3, n)).astype("float32") for s, n in ((0, 4), (1, 5), (2, 5))
    )
    keras_cell(x, [h, c])
    cell(torch.as_tensor(x), [torch.as_tensor(h), torch.as_tensor(c)])
    cell.set_weights(keras_cell.get_weights())
    assert_all_close(cell(x, [h, c]), keras_cell(x, [h, c]))


def test_weight_layouts_and_torch_reference():
    layer = LSTM(UNITS, return_sequences=True, return_state=True)
    x = torch.as_tensor(sequences())
    output, h, c = layer(x)
    kernel, recurrent, bias = layer.get_weights()
    assert (kernel.shape, recurrent.shape, bias.shape) == (
        (FEATURES, 4 * UNITS),
        (UNITS, 4 * UNITS),
        (4 * UNITS,),
    )
    np.testing.assert_array_equal(bias[UNITS : 2 * UNITS], 1.0)  # unit_forget_bias
    np.testing.assert_array_equal(np.delete(bias, np.s_[UNITS : 2 * UNITS]), 0.0)
    reference = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
    with torch.no_grad():  # Keras's gates i, f, c, o are torch's i, f, g, o; one bias
        reference.weight_ih_l0.copy_(torch.as_tensor(kernel.T))
        reference.weight_hh_l0.copy_(torch.as_tensor(recurrent.T))
        reference.bias_ih_l0.copy_(torch.as_tensor(bias))
        reference.bias_hh_l0.zero_()
    expected, (expected_h, expected_c) = reference(x)
    assert_all_close([output, h, c], [expected, expected_h[0], expected_c[0]])
    layer.set_weights([kernel * 2, recurrent, bias])
    np.testing.assert_array_equal(layer.get_weights()[0], kernel * 2)


def test_config_matches_keras(keras):
    kwargs = {
        "dropout": 0.25,
        "recurrent_dropout": 0.5,
        "seed": 3,
        "go_backwards": True,
        "unit_forget_bias": False,
    }
    assert without_name(LSTM(UNITS, **kwargs).get_config()) == without_name(
        keras.layers.LSTM(UNITS, **kwargs).get_config()
    )
    assert without_name(LSTMCell(UNITS).get_config()) == without_name(
        keras.layers.LSTMCell(UNITS).get_config()
    )
    layer = LSTM(UNITS, dropout=0.25)
    assert (layer.units, layer.dropout, layer.cell.units) == (UNITS, 0.25, UNITS)


@pytest.mark.parametrize("recurrent_dropout", [0.0, 0.4])
def test_dropout_training_semantics(recurrent_dropout):
    x = torch.as_tensor(sequences())
    make = lambda: LSTM(UNITS, dropout=0.5, recurrent_dropout=recurrent_dropout, seed=7)  # noqa: E731
    layer, twin = make(), make()
    layer(x)
    twin(x)
    twin.set_weights(layer.get_weights())
    inference = layer(x)
    training = layer(x, training=True)
    assert not torch.allclose(inference, training)
    assert torch.allclose(twin(x, training=True), training)  # same seed, same masks
    assert torch.allclose(layer(x, training=False), inference)


def test_dropout_fused_equals_loop():
    x = torch.as_tensor(sequences())
    fused, loop = LSTM(UNITS, dropout=0.5, seed=5), LSTM(UNITS, dropout=0.5, seed=5, use_cudnn=False)
    fused(x)
    loop(x)
    loop.set_weights(fused.get_weights())
    assert_all_close(fused(x, training=True), loop(x, training=True))


def test_errors():
    with pytest.raises(ValueError, match="LSTM 'lstm_bad': `units` must be a positive integer"):
        LSTM(0, name="lstm_bad")
    with pytest.raises(ValueError, match="`dropout` must be a number in"):
        LSTM(UNITS, dropout=-0.1)
    with pytest.raises(ValueError, match="`recurrent_dropout`"):
        LSTMCell(UNITS, recurrent_dropout=1.5)
    with pytest.raises(ValueError, match="`use_cudnn` must be one of"):
        LSTM(UNITS, use_cudnn="always")
    with pytest.raises(ValueError, match="use_cudnn=True"):
        LSTM(UNITS, activation="relu", use_cudnn=True)(sequences())
    with pytest.raises(ValueError, match="expected inputs of rank 3"):
        LSTM(UNITS)(np.zeros((2, 3, 4, 5), "float32"))
