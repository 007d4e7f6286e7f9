"""StackedRNNCells: Keras parity of stacked built-in cells, structure of states, config, errors."""

import pytest
import torch

from tests.layer_checks import check_layer
from tests.layers.rnn.rnn_checks import MASKS, keras_parity, sequences
from torchkeras.layers.rnn import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells


def test_stacked_cells_parity(keras):
    check_layer(
        lambda: RNN([LSTMCell(5), GRUCell(4), SimpleRNNCell(3)], return_sequences=True),
        sequences(),
        lambda: keras.layers.RNN(
            [keras.layers.LSTMCell(5), keras.layers.GRUCell(4), keras.layers.SimpleRNNCell(3)],
            return_sequences=True,
        ),
    )


@pytest.mark.parametrize("mask", sorted(MASKS))
def test_stacked_cells_states_and_masks_parity(keras, mask):
    kwargs = {"return_sequences": True, "return_state": True, "go_backwards": True}
    ours, _ = keras_parity(
        lambda: RNN(StackedRNNCells([LSTMCell(5, dropout=0.2), GRUCell(4, reset_after=False)]), **kwargs),
        lambda: keras.layers.RNN(
            keras.layers.StackedRNNCells(
                [keras.layers.LSTMCell(5, dropout=0.2), keras.layers.GRUCell(4, reset_after=False)]
            ),
            **kwargs,
        ),
        sequences(),
        MASKS[mask],
    )
    output, lstm_states, gru_states = ours(sequences())  # nested as Keras nests them
    assert [tuple(s.shape) for s in lstm_states] == [(3, 5), (3, 5)]
    assert [tuple(s.shape) for s in gru_states] == [(3, 4)]


def test_sizes_and_initial_state():
    cells = StackedRNNCells([LSTMCell(5), GRUCell(4)])
    assert cells.state_size == [[5, 5], 4] and cells.output_size == 4
    h1, c1, h2 = (torch.ones(2, n) for n in (5, 5, 4))
    layer = RNN(cells, return_state=True)
    x = torch.as_tensor(sequences(shape=(2, 6, 4)))
    flat = layer(x, initial_state=[h1, c1, h2])  # flat or nested lists of states are accepted
    nested = layer(x, initial_state=[[h1, c1], h2])
    for a, b in zip(torch.utils._pytree.tree_leaves(flat), torch.utils._pytree.tree_leaves(nested)):
        assert torch.equal(a, b)


def test_training_reaches_every_cell():
    layer = RNN([LSTMCell(3, dropout=0.5, seed=1), GRUCell(2, recurrent_dropout=0.5, seed=2)])
    x = torch.as_tensor(sequences())
    assert not torch.allclose(layer(x, training=True), layer(x))


def test_errors():
    with pytest.raises(ValueError, match="`cells` must all have a `call` method and a `state_size`"):
        StackedRNNCells([LSTMCell(3), object()])
