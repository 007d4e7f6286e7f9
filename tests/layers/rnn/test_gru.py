"""GRU and GRUCell: Keras parity (reset_after True and False), the gate reorder, a torch reference."""

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
from torchkeras.layers.rnn import GRU, RNN, GRUCell

VARIANTS = {
    "default": {},
    "reset_before": {"reset_after": False},
    "no_bias": {"use_bias": False},
    "reset_before_no_bias": {"reset_after": False, "use_bias": False},
    "relu": {"activation": "relu", "bias_initializer": "random_normal"},
}


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_check_layer(keras, reset_after, return_sequences):
    kwargs = {"reset_after": reset_after, "return_sequences": return_sequences, "return_state": True}
    check_layer(lambda: GRU(UNITS, **kwargs), sequences(), lambda: keras.layers.GRU(UNITS, **kwargs))


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
        lambda: GRU(UNITS, **kwargs), lambda: keras.layers.GRU(UNITS, **kwargs), sequences(), MASKS[mask]
    )


@pytest.mark.parametrize("reset_after", [True, False])
def test_initial_state_and_stateful_parity(keras, reset_after):
    h = np.random.default_rng(1).normal(size=(3, UNITS)).astype("float32")
    ours, theirs = keras_parity(
        lambda: GRU(UNITS, reset_after=reset_after),
        lambda: keras.layers.GRU(UNITS, reset_after=reset_after),
        sequences(),
    )
    assert_all_close(ours(sequences(), initial_state=[h]), theirs(sequences(), initial_state=[h]))
    assert_all_close(
        ours(sequences(), initial_state=torch.as_tensor(h)), theirs(sequences(), initial_state=h)
    )
    ours = GRU(UNITS, stateful=True, reset_after=reset_after)
    theirs = keras.layers.GRU(UNITS, stateful=True, reset_after=reset_after)
    theirs(sequences())
    ours(sequences())
    ours.set_weights(theirs.get_weights())
    ours.reset_state()
    theirs.reset_state()
    for seed in (1, 2):
        assert_all_close(ours(sequences(seed)), theirs(sequences(seed)))


def test_cell_parity(keras):
    for reset_after in (True, False):
        check_layer(
            lambda r=reset_after: RNN(GRUCell(UNITS, reset_after=r), return_sequences=True),
            sequences(),
            lambda r=reset_after: keras.layers.RNN(
                keras.layers.GRUCell(UNITS, reset_after=r), return_sequences=True
            ),
        )
    cell, keras_cell = GRUCell(UNITS), keras.layers.GRUCell(UNITS)
    x, h = sequences(2, (3, FEATURES)), sequences(3, (3, UNITS))
    keras_cell(x, h)
    cell(torch.as_tensor(x), torch.as_tensor(h))
    cell.set_weights(keras_cell.get_weights())
    output, state = cell(torch.as_tensor(x), torch.as_tensor(h))  # a bare state comes back bare
    assert isinstance(state, torch.Tensor)
    assert_all_close([output, state], keras_cell(x, h))


@pytest.mark.parametrize("reset_after", [True, False])
def test_weight_layouts(reset_after):
    layer = GRU(UNITS, reset_after=reset_after, bias_initializer="random_normal")
    layer(sequences())
    kernel, recurrent, bias = layer.get_weights()
    assert (kernel.shape, recurrent.shape) == ((FEATURES, 3 * UNITS), (UNITS, 3 * UNITS))
    assert bias.shape == ((2, 3 * UNITS) if reset_after else (3 * UNITS,))
    stored = layer.cell.kernel.detach().numpy()  # torch's (3 * units, input_dim), gates r, z, n
    z, r, h = np.split(kernel, 3, axis=1)
    np.testing.assert_array_equal(stored, np.concatenate([r, z, h], axis=1).T)
    layer.set_weights([kernel + 1, recurrent, bias])
    np.testing.assert_array_equal(layer.get_weights()[0], kernel + 1)


def test_torch_reference():
    layer = GRU(UNITS, return_sequences=True, return_state=True, bias_initializer="random_normal")
    x = torch.as_tensor(sequences())
    output, h = layer(x)
    kernel, recurrent, bias = layer.get_weights()
    reference = torch.nn.GRU(FEATURES, UNITS, batch_first=True)

    def torch_order(matrix):  # Keras z, r, h -> torch r, z, n
        z, r, n = np.split(matrix, 3, axis=-1)
        return torch.as_tensor(np.concatenate([r, z, n], axis=-1))

    with torch.no_grad():
        reference.weight_ih_l0.copy_(torch_order(kernel).T)
        reference.weight_hh_l0.copy_(torch_order(recurrent).T)
        reference.bias_ih_l0.copy_(torch_order(bias[0]))
        reference.bias_hh_l0.copy_(torch_order(bias[1]))
    expected, expected_h = reference(x)
    assert_all_close([output, h], [expected, expected_h[0]])


def test_config_matches_keras(keras):
    kwargs = {"reset_after": False, "recurrent_dropout": 0.5, "seed": 3, "stateful": True, "unroll": True}
    assert without_name(GRU(UNITS, **kwargs).get_config()) == without_name(
        keras.layers.GRU(UNITS, **kwargs).get_config()
    )
    assert without_name(GRUCell(UNITS).get_config()) == without_name(keras.layers.GRUCell(UNITS).get_config())
    assert GRU(UNITS, reset_after=False).reset_after is False


@pytest.mark.parametrize("reset_after", [True, False])
def test_dropout_training_semantics(reset_after):
    x = torch.as_tensor(sequences())
    layer = GRU(UNITS, dropout=0.3, recurrent_dropout=0.3, reset_after=reset_after, seed=1)
    inference = layer(x)
    assert not torch.allclose(layer(x, training=True), inference)
    assert torch.allclose(layer(x), inference)


def test_errors():
    with pytest.raises(ValueError, match="GRU 'g': `units` must be a positive integer"):
        GRU(-3, name="g")
    with pytest.raises(ValueError, match="use_cudnn=True"):
        GRU(UNITS, reset_after=False, use_cudnn=True)(sequences())
    with pytest.raises(ValueError, match="expected inputs with 4 features"):
        layer = GRU(UNITS)
        layer(sequences())
        layer(np.zeros((3, 6, 2), "float32"))
