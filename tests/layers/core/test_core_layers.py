"""Core layers: parity with Keras on the same weights, plus their errors."""

import numpy as np
import pytest
import torch

import torchkeras as keras
import torchkeras as tk
from tests.layer_checks import check_layer

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"units": 4},
        {"units": 3, "activation": "relu", "use_bias": False},
        {"units": 5, "activation": "tanh", "kernel_initializer": "he_normal", "bias_initializer": "ones"},
    ],
)
@pytest.mark.parametrize("shape", [(3, 6), (2, 5, 6)])
def test_dense_parity(keras, kwargs, shape):
    x = RNG.normal(size=shape).astype("float32")
    check_layer(lambda: tk.layers.Dense(**kwargs), x, lambda: keras.layers.Dense(**kwargs))


def test_dense_errors():
    with pytest.raises(ValueError, match="units"):
        keras.layers.Dense(-3)
    with pytest.raises(ValueError, match="Did you mean 'relu'"):
        keras.layers.Dense(3, activation="rleu")
    layer = keras.layers.Dense(2)
    layer(torch.ones(1, 4))
    with pytest.raises(ValueError, match="last dimension 4"):
        layer(torch.ones(1, 5))


@pytest.mark.parametrize("mask_zero", [False, True])
def test_embedding_parity(keras, mask_zero):
    ids = RNG.integers(0, 10, size=(3, 5))
    ids[0, -2:] = 0
    out = check_layer(
        lambda: tk.layers.Embedding(10, 4, mask_zero=mask_zero),
        ids,
        lambda: keras.layers.Embedding(10, 4, mask_zero=mask_zero),
    )
    assert out.shape == (3, 5, 4)
    if mask_zero:
        ours = tk.layers.Embedding(10, 4, mask_zero=True)
        theirs = keras.layers.Embedding(10, 4, mask_zero=True)
        np.testing.assert_array_equal(
            ours.compute_mask(torch.as_tensor(ids)).numpy(), np.asarray(theirs.compute_mask(ids).cpu())
        )


@pytest.mark.parametrize(
    "activation", ["relu", "sigmoid", "softmax", "gelu", "swish", "elu", "selu", "softplus"]
)
def test_activation_layer_parity(keras, activation):
    x = RNG.normal(size=(4, 6)).astype("float32")
    check_layer(lambda: tk.layers.Activation(activation), x, lambda: keras.layers.Activation(activation))


@pytest.mark.parametrize(
    ("ours", "theirs", "shape"),
    [
        (lambda k: k.layers.Flatten(), lambda k: k.layers.Flatten(), (2, 3, 4, 5)),
        (
            lambda k: k.layers.Flatten(data_format="channels_first"),
            lambda k: k.layers.Flatten(data_format="channels_first"),
            (2, 3, 4, 5),
        ),
        (lambda k: k.layers.Reshape((4, -1)), lambda k: k.layers.Reshape((4, -1)), (2, 3, 8)),
        (lambda k: k.layers.Identity(), lambda k: k.layers.Identity(), (2, 3)),
        (lambda k: k.layers.Dropout(0.5), lambda k: k.layers.Dropout(0.5), (2, 3)),
    ],
)
def test_shape_layers_parity(keras, ours, theirs, shape):
    x = RNG.normal(size=shape).astype("float32")
    check_layer(lambda: ours(tk), x, lambda: theirs(keras))


def test_reshape_errors():
    with pytest.raises(ValueError, match="target_shape"):
        keras.layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match="cannot reshape"):
        keras.layers.Reshape((5,))(torch.ones(2, 3))


def test_dropout_training_statistics():
    layer = keras.layers.Dropout(0.25)
    x = torch.ones(20000)
    out = layer(x, training=True)
    kept = (out != 0).float().mean().item()
    assert abs(kept - 0.75) < 0.02
    torch.testing.assert_close(out[out != 0], torch.full_like(out[out != 0], 1 / 0.75))
    torch.testing.assert_close(layer(x), x)
    with pytest.raises(ValueError, match="rate"):
        keras.layers.Dropout(1.5)
    noise = keras.layers.Dropout(0.5, noise_shape=(None, 1))(torch.ones(6, 4), training=True)
    assert all(len(set(row.tolist())) == 1 for row in noise)  # whole rows dropped together


def test_lambda_layer_works_and_refuses_to_serialize_code():
    layer = keras.layers.Lambda(lambda x: x * 2)
    torch.testing.assert_close(layer(torch.ones(2)), torch.full((2,), 2.0))
    with pytest.raises(ValueError, match="never saves code"):
        layer.get_config()

    def double(x):
        return x * 2

    tk.utils.register_keras_serializable(package="tests")(double)
    config = keras.layers.Lambda(double).get_config()
    assert config["function"] == "tests>double"
    assert keras.layers.Lambda.from_config(config).function is double
    with pytest.raises(ValueError, match="unknown function"):
        keras.layers.Lambda.from_config({**config, "function": "os.system"})


def test_lambda_output_shape_is_used_without_tracing_the_function(keras):
    """As in Keras, a given `output_shape` gives the symbolic output (in the compute dtype): a
    function that only runs on real batches of its own size still builds a model."""
    rows = torch.zeros(10, 3)

    def into_rows(x):
        if x.shape[0] != 10:
            raise RuntimeError("batches of 10 only")
        return rows.copy_(x[:, :3])

    out = tk.layers.Lambda(into_rows, output_shape=(3,))(tk.Input((6,), dtype="float16"))
    theirs = keras.layers.Lambda(lambda x: x[:, :3], output_shape=(3,))(keras.Input((6,), dtype="float16"))
    assert (out.shape, out.dtype) == (tuple(theirs.shape), theirs.dtype)
    inputs = tk.Input((6,))
    model = tk.Model(inputs, tk.layers.Lambda(into_rows, output_shape=(3,))(inputs))
    assert model.output_shape == (None, 3)
    torch.testing.assert_close(model(torch.ones(10, 6)), torch.ones(10, 3))


def test_dense_param_count_matches_keras(keras):
    ours = tk.Sequential([tk.Input((5,)), tk.layers.Dense(7), tk.layers.Dense(2)])
    theirs = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7), keras.layers.Dense(2)])
    assert ours.count_params() == theirs.count_params()
