"""SimpleRNN and SimpleRNNCell: Keras parity, a reference formula with recurrent dropout, errors."""

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
from torchkeras.layers.rnn import RNN, SimpleRNN, SimpleRNNCell

VARIANTS = {
    "tanh": {},
    "relu": {"activation": "relu"},  # fused with torch's rnn_relu
    "linear": {"activation": None},  # the step loop
    "no_bias": {"use_bias": False},
}


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_check_layer(keras, return_sequences, return_state):
    kwargs = {"return_sequences": return_sequences, "return_state": return_state}
    check_layer(
        lambda: SimpleRNN(UNITS, **kwargs), sequences(), lambda: keras.layers.SimpleRNN(UNITS, **kwargs)
    )


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
        lambda: SimpleRNN(UNITS, **kwargs),
        lambda: keras.layers.SimpleRNN(UNITS, **kwargs),
        sequences(),
        MASKS[mask],
    )


def test_initial_state_and_stateful_parity(keras):
    h = sequences(1, (3, UNITS))
    ours, theirs = keras_parity(lambda: SimpleRNN(UNITS), lambda: keras.layers.SimpleRNN(UNITS), sequences())
    assert_all_close(ours(sequences(), initial_state=[h]), theirs(sequences(), initial_state=[h]))
    ours, theirs = SimpleRNN(UNITS, stateful=True), keras.layers.SimpleRNN(UNITS, stateful=True)
    theirs(sequences())
    ours(sequences())
    ours.set_weights(theirs.get_weights())
    ours.reset_state()
    theirs.reset_state()
    for seed in (1, 2):
        assert_all_close(ours(sequences(seed)), theirs(sequences(seed)))


def test_cell_parity(keras):
    check_layer(
        lambda: RNN(SimpleRNNCell(UNITS)),
        sequences(),
        lambda: keras.layers.RNN(keras.layers.SimpleRNNCell(UNITS)),
    )


def test_recurrent_dropout_reference_formula():
    """One input mask and one recurrent mask per sequence, the same at every step."""
    x = torch.as_tensor(sequences())
    layer = SimpleRNN(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=11, return_sequences=True)
    outputs = layer(x, training=True)
    kernel, recurrent, bias = (torch.as_tensor(w) for w in layer.get_weights())
    generator = torch.Generator().manual_seed(11)  # masks are drawn inputs first, then states
    input_mask = (torch.rand((3, FEATURES), generator=generator) >= 0.5).float() / 0.5
    state_mask = (torch.rand((3, UNITS), generator=generator) >= 0.5).float() / 0.5
    h = torch.zeros(3, UNITS)
    expected = []
    for t in range(x.shape[1]):
        h = torch.tanh((x[:, t] * input_mask) @ kernel + bias + (h * state_mask) @ recurrent)
        expected.append(h)
    assert_all_close(outputs, torch.stack(expected, 1))


def test_config_matches_keras(keras):
    kwargs = {"activation": "relu", "dropout": 0.1, "seed": 4, "return_sequences": True}
    config = SimpleRNN(UNITS, **kwargs).get_config()
    assert without_name(config) == without_name(keras.layers.SimpleRNN(UNITS, **kwargs).get_config())
    assert "seed" not in config  # as in Keras; the layer still knows it
    assert SimpleRNN(UNITS, seed=4).seed == 4
    assert without_name(SimpleRNNCell(UNITS).get_config()) == without_name(
        keras.layers.SimpleRNNCell(UNITS).get_config()
    )


def test_errors():
    with pytest.raises(ValueError, match="SimpleRNN 's': `units` must be a positive integer"):
        SimpleRNN(1.5, name="s")
    with pytest.raises(
        ValueError, match="SimpleRNNCell 'c': the last dimension of the inputs must be defined"
    ):
        SimpleRNNCell(UNITS, name="c").build((None, None))
    with pytest.raises(ValueError, match="expected inputs of rank 3"):
        SimpleRNN(UNITS)(np.zeros((3, 4), "float32"))
