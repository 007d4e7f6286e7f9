"""DepthwiseConv1D / DepthwiseConv2D: parity with Keras 3, channel order, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers import convolutional as conv


def _inputs(shape):
    return np.random.randn(*shape).astype("float32")


def _shape(spatial, channels, data_format, batch=2):
    if data_format == "channels_last":
        return (batch, *spatial, channels)
    return (batch, channels, *spatial)


# kernel_size / strides / padding / depth_multiplier / dilation_rate combinations.
DEPTHWISE2D_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=3, depth_multiplier=2),
    dict(kernel_size=3, strides=2, padding="same", depth_multiplier=3),
    dict(kernel_size=(2, 4), strides=(1, 2), padding="same"),
    dict(kernel_size=3, padding="same", dilation_rate=2, depth_multiplier=2, activation="relu"),
    dict(kernel_size=2, strides=3, use_bias=False),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", DEPTHWISE2D_CASES)
def test_depthwise_conv2d_matches_keras(keras, kwargs, data_format):
    x = _inputs(_shape((7, 6), 3, data_format))
    kwargs = {**kwargs, "data_format": data_format, "bias_initializer": "random_normal"}
    check_layer(lambda: conv.DepthwiseConv2D(**kwargs), x, lambda: keras.layers.DepthwiseConv2D(**kwargs))


DEPTHWISE1D_CASES = [
    dict(kernel_size=3, depth_multiplier=2),
    dict(kernel_size=4, strides=3, padding="same"),
    dict(kernel_size=3, padding="same", dilation_rate=3, depth_multiplier=2),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", DEPTHWISE1D_CASES)
def test_depthwise_conv1d_matches_keras(keras, kwargs, data_format):
    x = _inputs(_shape((9,), 4, data_format))
    kwargs = {**kwargs, "data_format": data_format}
    check_layer(lambda: conv.DepthwiseConv1D(**kwargs), x, lambda: keras.layers.DepthwiseConv1D(**kwargs))


def test_output_channel_order_reference():
    # Output channel c * depth_multiplier + m is input channel c convolved with kernel m.
    layer = conv.DepthwiseConv1D(2, depth_multiplier=3, use_bias=False)
    x = np.random.randn(1, 5, 2).astype("float32")
    y = layer(x).detach().numpy()
    (kernel,) = layer.get_weights()
    assert kernel.shape == (2, 2, 3)  # (kernel_size, channels, depth_multiplier)
    for c in range(2):
        for m in range(3):
            expected = [x[0, t : t + 2, c] @ kernel[:, c, m] for t in range(4)]
            np.testing.assert_allclose(y[0, :, c * 3 + m], expected, rtol=1e-5, atol=1e-6)


def test_count_params_and_config_match_keras(keras):
    kwargs = dict(depth_multiplier=2, strides=2, padding="same", name="d")
    ours, theirs = conv.DepthwiseConv2D(3, **kwargs), keras.layers.DepthwiseConv2D(3, **kwargs)
    ours.build((1, 6, 6, 5))
    theirs.build((1, 6, 6, 5))
    assert ours.count_params() == theirs.count_params() == 3 * 3 * 5 * 2 + 10
    assert ours.get_config() == theirs.get_config()
    assert ours.compute_output_shape((None, 6, 7, 5)) == (None, 3, 4, 10)


def test_gradients_reach_the_kernel():
    layer = conv.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    layer(torch.randn(2, 5, 5, 3)).square().sum().backward()
    assert layer.kernel.grad is not None and layer.kernel.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: conv.DepthwiseConv2D(3, depth_multiplier=0),
            "`depth_multiplier` must be a positive integer",
        ),
        (lambda: conv.DepthwiseConv1D(3, padding="causal"), "padding"),
        (lambda: conv.DepthwiseConv2D((3, 3, 3)), "kernel_size"),
    ],
)
def test_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_call_errors():
    layer = conv.DepthwiseConv2D(3, name="dw")
    layer(np.zeros((1, 5, 5, 2), "float32"))
    with pytest.raises(ValueError, match="DepthwiseConv2D 'dw': expected inputs with 2 channels"):
        layer(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="too small"):
        layer(np.zeros((1, 2, 5, 2), "float32"))
    with pytest.raises(ValueError, match="rank 3"):
        conv.DepthwiseConv1D(3)(np.zeros((1, 5, 5, 2), "float32"))
