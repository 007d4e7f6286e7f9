"""RNN: user cells (Keras parity), fused-kernel vs step-loop agreement, masks, states, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from tests.layers.rnn.rnn_checks import MASKS, UNITS, assert_all_close, keras_parity, sequences
from torchkeras.layers.input_layer import Input
from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn import GRU, LSTM, RNN, LSTMCell, SimpleRNN, recurrence
from torchkeras.utils.registry import register_keras_serializable


@register_keras_serializable(package="rnn_tests")
class MinimalCell(Layer):
    """Keras's documentation cell, plus a second state (a running sum) to exercise lists of states."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        h = torch.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        return h, [h, states[1] + h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def keras_minimal_cell(keras):
    class KerasMinimalCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = [units, units]

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

        def call(self, inputs, states):
            h = keras.ops.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
            return h, [h, states[1] + h]

    return KerasMinimalCell(UNITS)


@pytest.mark.parametrize("mask", sorted(MASKS))
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_custom_cell_parity(keras, mask, go_backwards, zero_output_for_mask):
    kwargs = {
        "return_sequences": True,
        "return_state": True,
        "go_backwards": go_backwards,
        "zero_output_for_mask": zero_output_for_mask,
    }
    keras_parity(
        lambda: RNN(MinimalCell(UNITS), **kwargs),
        lambda: keras.layers.RNN(keras_minimal_cell(keras), **kwargs),
        sequences(),
        MASKS[mask],
    )


def test_custom_cell_check_layer(keras):
    check_layer(
        lambda: RNN(MinimalCell(UNITS)), sequences(), lambda: keras.layers.RNN(keras_minimal_cell(keras))
    )


@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_zero_output_for_mask_parity(keras, zero_output_for_mask):
    """Built-in cells in `RNN`: the fused (right-padded mask) and loop (mixed mask) paths."""
    for mask in ("right_padded", "mixed"):
        for go_backwards in (False, True):
            kwargs = {
                "return_sequences": True,
                "zero_output_for_mask": zero_output_for_mask,
                "go_backwards": go_backwards,
            }
            keras_parity(
                lambda kwargs=kwargs: RNN(LSTMCell(UNITS), **kwargs),
                lambda kwargs=kwargs: keras.layers.RNN(keras.layers.LSTMCell(UNITS), **kwargs),
                sequences(),
                MASKS[mask],
            )


def _force_loop(layer, monkeypatch):
    monkeypatch.setattr(layer.cell, "_can_fuse", lambda training: False)


@pytest.mark.parametrize("make", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize("mask", sorted(MASKS))
@pytest.mark.parametrize("go_backwards", [False, True])
def test_fused_matches_loop_with_gradients(monkeypatch, make, mask, go_backwards):
    x = torch.as_tensor(sequences())
    fused = make(UNITS, return_sequences=True, return_state=True, go_backwards=go_backwards)
    loop = make(UNITS, return_sequences=True, return_state=True, go_backwards=go_backwards)
    fused(x)
    loop(x)
    loop.set_weights(fused.get_weights())
    _force_loop(loop, monkeypatch)
    kernels = []
    real_run_fused = recurrence.run_fused
    monkeypatch.setattr(recurrence, "run_fused", lambda *a, **k: kernels.append(1) or real_run_fused(*a, **k))
    m = None if MASKS[mask] is None else torch.as_tensor(MASKS[mask])
    results = []
    for layer in (fused, loop):
        inputs = x.clone().requires_grad_()
        outputs = layer(inputs, mask=m)
        sum(o.square().sum() for o in outputs).backward()
        results.append([*outputs, inputs.grad, *(w.grad for w in layer.trainable_weights)])
    assert len(kernels) == (0 if mask == "mixed" else 1)  # only the layer not forced to loop fuses
    assert_all_close(results[0], results[1], rtol=1e-5, atol=1e-6)


def test_fake_tensors_take_the_fused_path_shapes():
    inputs = Input((None, 4))
    outputs = LSTM(UNITS, return_sequences=True, return_state=True)(inputs)
    assert [tuple(o.shape) for o in outputs] == [(None, None, UNITS), (None, UNITS), (None, UNITS)]


def test_masks_travel(keras):
    x, mask = torch.as_tensor(sequences()), torch.as_tensor(MASKS["mixed"])
    assert torch.equal(LSTM(UNITS, return_sequences=True)(x, mask=mask)._keras_mask, mask)
    assert getattr(LSTM(UNITS)(x, mask=mask), "_keras_mask", None) is None
    output, _, _ = LSTM(UNITS, return_sequences=True, return_state=True)(x, mask=mask)
    assert torch.equal(output._keras_mask, mask)
    x._keras_mask = mask  # a mask carried by the input is used
    layer = GRU(UNITS)
    assert_all_close(layer(x), layer(torch.as_tensor(sequences()), mask=mask))


def test_compute_output_shape_matches_keras(keras):
    for kwargs in (
        {},
        {"return_sequences": True},
        {"return_state": True},
        {"return_sequences": True, "return_state": True},
    ):
        expected = keras.layers.LSTM(UNITS, **kwargs).compute_output_shape((None, 7, 4))
        assert LSTM(UNITS, **kwargs).compute_output_shape((None, 7, 4)) == tuple(expected)
    stacked = RNN([MinimalCell(3), MinimalCell(2)], return_state=True)
    assert stacked.compute_output_shape((4, 7, 3)) == ((4, 2), [(4, 3), (4, 3)], [(4, 2), (4, 2)])


def test_stateful_states_and_reset_values():
    layer = LSTM(UNITS, stateful=True)
    x = sequences()
    layer(x)
    first = [s.clone() for s in layer.states]
    layer(x)
    assert not torch.allclose(first[0], layer.states[0])
    h, c = sequences(1, (3, UNITS)), sequences(2, (3, UNITS))
    layer.reset_state([h, c])
    twin = LSTM(UNITS)
    twin(x)
    twin.set_weights(layer.get_weights())
    assert_all_close(layer(x), twin(x, initial_state=[h, c]))
    assert RNN(MinimalCell(2)).states is None


def test_unroll_is_accepted(keras):
    keras_parity(lambda: GRU(UNITS, unroll=True), lambda: keras.layers.GRU(UNITS, unroll=True), sequences())


def test_errors():
    x = sequences()
    layer = LSTM(UNITS, name="lstm_e")
    layer(x)
    with pytest.raises(ValueError, match="LSTM 'lstm_e': `initial_state` must be a list of 2 tensor"):
        layer(x, initial_state=[np.zeros((3, UNITS), "float32")])
    with pytest.raises(
        ValueError, match=r"`initial_state` must hold tensors of shapes \[\(3, 5\), \(3, 5\)\]"
    ):
        layer(x, initial_state=[np.zeros((3, UNITS), "float32"), np.zeros((3, 2), "float32")])
    with pytest.raises(
        ValueError, match=r"LSTM 'lstm_e': `mask` must have shape \(batch, timesteps\) = \(3, 6\)"
    ):
        layer(x, mask=np.ones((3, 5), bool))
    with pytest.raises(ValueError, match="LSTM 'lstm_e': expected inputs of rank 3"):
        layer(x[0])
    with pytest.raises(ValueError, match="RNN 'r': expected inputs of rank 3 or more"):
        RNN(MinimalCell(2), name="r")(x[0])
    with pytest.raises(ValueError, match="`stateful` RNN needs a fixed batch size"):
        LSTM(UNITS, stateful=True)(Input((6, 4)))
    stateful = LSTM(UNITS, stateful=True)
    stateful(x)
    with pytest.raises(ValueError, match="must keep the batch size it was built with, 3"):
        stateful(x[:2])
    with pytest.raises(ValueError, match="cannot unroll an RNN over an undefined number of timesteps"):
        GRU(UNITS, unroll=True)(Input((None, 4)))
    with pytest.raises(ValueError, match="`cell` must have a `state_size`"):
        RNN(Layer())
    with pytest.raises(ValueError, match="`cell` must have a `call"):
        RNN(object())


def test_config_round_trip_with_custom_cell():
    layer = RNN(MinimalCell(3), return_sequences=True, go_backwards=True)
    layer(sequences())
    config = layer.get_config()
    assert config["cell"]["registered_name"] == "rnn_tests>MinimalCell"
    clone = RNN.from_config(config)
    assert clone.cell.built and clone.get_config() == config
    clone.set_weights(layer.get_weights())
    assert_all_close(clone(sequences()), layer(sequences()))
