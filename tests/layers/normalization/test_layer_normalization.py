"""LayerNormalization: parity with Keras, non-trailing axes against a formula, errors."""

import warnings

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.normalization import LayerNormalization

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((4, 6), {}),
        ((2, 3, 5), {}),
        ((2, 3, 5), {"axis": [1, 2]}),
        ((2, 3, 4, 5), {"axis": [-2, -1], "epsilon": 0.1}),
        ((2, 3, 5), {"center": False}),
        ((2, 3, 5), {"scale": False, "beta_initializer": "random_normal"}),
        ((2, 3, 5), {"gamma_initializer": "random_uniform", "gamma_regularizer": "l2"}),
    ],
)
def test_parity(keras, shape, kwargs):
    x = (RNG.normal(size=shape) * 2 + 1).astype("float32")
    check_layer(lambda: LayerNormalization(**kwargs), x, lambda: keras.layers.LayerNormalization(**kwargs))


def test_rms_scaling_parity(keras):
    x = (RNG.normal(size=(3, 4, 5)) + 2).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_layer(
            lambda: LayerNormalization(rms_scaling=True, gamma_initializer="random_normal"),
            x,
            lambda: keras.layers.LayerNormalization(rms_scaling=True, gamma_initializer="random_normal"),
        )
    with pytest.warns(UserWarning, match="RMSNormalization"):
        layer = LayerNormalization(rms_scaling=True)
    layer.build((None, 5))
    assert [w.name for w in layer.weights] == ["gamma"]


@pytest.mark.parametrize("axis", [1, [0 + 1, 3]])
def test_non_trailing_axes_reference(axis):
    # Keras's torch backend mis-handles these (it normalizes the last axes); we follow its
    # definition: statistics over `axis`, gamma/beta shaped like those axes.
    x = torch.as_tensor(RNG.normal(size=(2, 3, 4, 5)).astype("float32"))
    layer = LayerNormalization(axis=axis, gamma_initializer="random_normal", beta_initializer="random_normal")
    output = layer(x)
    axes = [axis] if isinstance(axis, int) else axis
    mean = x.mean(dim=axes, keepdim=True)
    variance = x.var(dim=axes, keepdim=True, correction=0)
    shape = [x.shape[d] if d in axes else 1 for d in range(4)]
    expected = (x - mean) / torch.sqrt(variance + 1e-3) * layer.gamma.reshape(shape) + layer.beta.reshape(
        shape
    )
    torch.testing.assert_close(output, expected, rtol=1e-5, atol=1e-5)


def test_config_and_weights(keras):
    ours, theirs = LayerNormalization(axis=[2, 1]), keras.layers.LayerNormalization(axis=[2, 1])
    ours.build((None, 3, 4))
    theirs.build((None, 3, 4))
    assert ours.get_config()["axis"] == theirs.get_config()["axis"] == [1, 2]
    assert (
        [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()] == [(3, 4), (3, 4)]
    )
    assert ours.count_params() == theirs.count_params()
    assert LayerNormalization().get_config()["axis"] == -1


def test_errors():
    with pytest.raises(ValueError, match="axis"):
        LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="out of bounds"):
        LayerNormalization(axis=3)(torch.ones(2, 3))
    with pytest.raises(ValueError, match="out of bounds"):
        LayerNormalization(axis=-3).compute_output_shape((2, 3))
    with pytest.raises(ValueError, match="repeat"):
        LayerNormalization(axis=[1, -1])(torch.ones(2, 3))
