"""ConvLSTM1D/2D/3D: Keras parity on copied weights (windows, formats, directions, masks, states),
Keras's weight layouts and config, dropout behaviour, stateful use, training, errors."""

import numpy as np
import pytest
import torch

import torchkeras as tk
from tests.layer_checks import check_layer
from torchkeras.layers import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D

CLASSES = {1: ConvLSTM1D, 2: ConvLSTM2D, 3: ConvLSTM3D}
SPATIAL = {1: (7,), 2: (6, 5), 3: (4, 5, 3)}


def _sequences(rank, data_format="channels_last", batch=2, time=4, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, time, *SPATIAL[rank], channels)).astype("float32")
    return x if data_format == "channels_last" else np.moveaxis(x, -1, 2).copy()


def _keras_class(keras, rank):
    return getattr(keras.layers, f"ConvLSTM{rank}D")


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"padding": "same", "return_sequences": True},
        {"strides": 2, "return_state": True},
        {"dilation_rate": 2, "padding": "same", "go_backwards": True, "return_sequences": True},
        {"data_format": "channels_first", "return_sequences": True, "return_state": True},
        {"use_bias": False, "activation": "relu", "recurrent_activation": "hard_sigmoid"},
    ],
)
def test_parity_with_keras(keras, rank, options):
    x = _sequences(rank, options.get("data_format", "channels_last"))
    kwargs = {"filters": 3, "kernel_size": 2, **options}
    check_layer(
        lambda: CLASSES[rank](**kwargs),
        x,
        lambda: _keras_class(keras, rank)(**kwargs),
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_mask_and_initial_state_parity(keras, go_backwards, zero_output_for_mask):
    x = _sequences(2)
    mask = np.array([[True, True, False, True], [False, True, True, False]])
    kwargs = {
        "filters": 2, "kernel_size": 3, "padding": "same", "return_sequences": True,
        "return_state": True, "go_backwards": go_backwards, "zero_output_for_mask": zero_output_for_mask,
    }  # fmt: skip
    theirs = keras.layers.ConvLSTM2D(**kwargs)
    ours = ConvLSTM2D(**kwargs)
    theirs(x)
    ours(torch.as_tensor(x))
    ours.set_weights(theirs.get_weights())
    rng = np.random.default_rng(3)
    states = [rng.normal(size=(2, 6, 5, 2)).astype("float32") for _ in range(2)]
    expected = theirs(x, initial_state=states, mask=mask)
    got = ours(
        torch.as_tensor(x), initial_state=[torch.as_tensor(s) for s in states], mask=torch.as_tensor(mask)
    )
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a.detach().numpy(), np.asarray(b.detach().cpu()), rtol=1e-5, atol=1e-5)


def test_weight_layouts_and_config_match_keras(keras):
    x = _sequences(2)
    ours, theirs = ConvLSTM2D(4, (3, 2), seed=1), keras.layers.ConvLSTM2D(4, (3, 2), seed=1)
    ours(torch.as_tensor(x))
    theirs(x)
    assert [w.shape for w in ours.get_weights()] == [(3, 2, 3, 16), (3, 2, 4, 16), (16,)]
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    # unit_forget_bias: ones on the forget gate only
    np.testing.assert_array_equal(ours.get_weights()[2], np.repeat([0.0, 1.0, 0.0, 0.0], 4))
    assert {**ours.get_config(), "name": None} == {**theirs.get_config(), "name": None}
    assert ours.filters == 4 and ours.kernel_size == (3, 2) and ours.rank == 2


def test_reference_formula_one_step():
    # One step from zero states: h = o * tanh(i * tanh(g)), gates from the input convolution only.
    layer = ConvLSTM1D(2, 3, padding="same", use_bias=False)
    x = torch.as_tensor(_sequences(1, time=1))
    h = layer(x).detach().numpy()
    kernel = layer.get_weights()[0]  # (3, channels, 8)
    padded = np.pad(x[:, 0].numpy(), ((0, 0), (1, 1), (0, 0)))
    z = np.stack([np.einsum("bkc,kcf->bf", padded[:, t : t + 3], kernel) for t in range(7)], axis=1)
    i, _, g, o = np.split(z, 4, axis=-1)
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    np.testing.assert_allclose(h, sigmoid(o) * np.tanh(sigmoid(i) * np.tanh(g)), rtol=1e-5, atol=1e-6)


def test_dropout_only_in_training_and_seeded():
    x = torch.as_tensor(_sequences(2))
    layer = ConvLSTM2D(2, 2, dropout=0.5, recurrent_dropout=0.3, seed=4)
    inference = layer(x)
    np.testing.assert_allclose(layer(x).detach().numpy(), inference.detach().numpy())
    trained = layer(x, training=True)
    assert not np.allclose(trained.detach().numpy(), inference.detach().numpy())
    again = ConvLSTM2D(2, 2, dropout=0.5, recurrent_dropout=0.3, seed=4)
    again(x)
    again.set_weights(layer.get_weights())
    np.testing.assert_allclose(again(x, training=True).detach().numpy(), trained.detach().numpy(), rtol=1e-6)


def test_stateful_carries_states():
    x = torch.as_tensor(_sequences(1))
    inputs = tk.Input(batch_shape=(2, 4, 7, 3))
    layer = ConvLSTM1D(2, 2, stateful=True)
    layer(inputs)
    first = layer(x).detach().numpy()
    second = layer(x).detach().numpy()
    assert not np.allclose(first, second)
    layer.reset_state()
    np.testing.assert_allclose(layer(x).detach().numpy(), first, rtol=1e-6)


def test_fit_reduces_the_loss():
    torch.manual_seed(0)
    x = _sequences(1, batch=16, time=3, seed=5)
    y = x.mean(axis=(1, 2, 3))[:, None]
    inputs = tk.Input(x.shape[1:])
    hidden = ConvLSTM1D(4, 3, padding="same")(inputs)
    outputs = tk.layers.Dense(1)(tk.layers.GlobalAveragePooling1D()(hidden))
    model = tk.Model(inputs, outputs)
    model.compile(optimizer=tk.optimizers.Adam(0.02), loss="mse")
    history = model.fit(x, y, epochs=25, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_errors():
    with pytest.raises(ValueError, match="`filters` must be a positive integer"):
        ConvLSTM2D(0, 3)
    with pytest.raises(ValueError, match="`kernel_size` must be an integer or a tuple of 2"):
        ConvLSTM2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="`padding` must be one of"):
        ConvLSTM1D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="`dilation_rate` must be 1 when `strides` > 1"):
        ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="`dropout` must be a number in"):
        ConvLSTM3D(2, 3, dropout=1.5)
    with pytest.raises(ValueError, match="expected inputs of rank 5"):
        ConvLSTM2D(2, 2)(torch.zeros(2, 4, 5, 3))
    layer = ConvLSTM2D(2, 2)
    layer(torch.as_tensor(_sequences(2)))
    with pytest.raises(ValueError, match="expected inputs with 3 channels"):
        layer(torch.zeros(2, 4, 6, 5, 2))
    with pytest.raises(ValueError, match=r"`initial_state` must be a list of 2 tensors \[h, c\]"):
        layer(torch.as_tensor(_sequences(2)), initial_state=[torch.zeros(2, 5, 4, 2)])
    with pytest.raises(ValueError, match="too small for the window"):
        ConvLSTM1D(2, 9)(torch.zeros(1, 2, 7, 3))
