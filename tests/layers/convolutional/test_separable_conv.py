"""SeparableConv1D / SeparableConv2D: parity with Keras 3, weights, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers import convolutional as conv
from torchkeras.utils.registry import get_registered_object


def _inputs(shape):
    return np.random.randn(*shape).astype("float32")


def _shape(spatial, channels, data_format, batch=2):
    if data_format == "channels_last":
        return (batch, *spatial, channels)
    return (batch, channels, *spatial)


SEPARABLE2D_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same"),
    dict(kernel_size=(2, 3), padding="same", dilation_rate=2),
    dict(kernel_size=4, strides=(2, 1), padding="same", activation="relu", use_bias=False),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", SEPARABLE2D_CASES)
def test_separable_conv2d_matches_keras(keras, kwargs, data_format):
    x = _inputs(_shape((7, 6), 3, data_format))
    kwargs = {**kwargs, "data_format": data_format, "bias_initializer": "random_normal"}
    check_layer(
        lambda: conv.SeparableConv2D(5, **kwargs), x, lambda: keras.layers.SeparableConv2D(5, **kwargs)
    )


SEPARABLE1D_CASES = [
    dict(kernel_size=3, depth_multiplier=3),
    dict(kernel_size=2, strides=2, padding="same"),
    dict(kernel_size=3, padding="same", dilation_rate=2),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", SEPARABLE1D_CASES)
def test_separable_conv1d_matches_keras(keras, kwargs, data_format):
    x = _inputs(_shape((9,), 2, data_format))
    kwargs = {**kwargs, "data_format": data_format}
    check_layer(
        lambda: conv.SeparableConv1D(4, **kwargs), x, lambda: keras.layers.SeparableConv1D(4, **kwargs)
    )


def test_equals_depthwise_then_pointwise():
    layer = conv.SeparableConv2D(4, 3, depth_multiplier=2, padding="same")
    x = torch.randn(2, 6, 6, 3)
    y = layer(x)
    depthwise_kernel, pointwise_kernel, bias = layer.get_weights()
    assert depthwise_kernel.shape == (3, 3, 3, 2) and pointwise_kernel.shape == (1, 1, 6, 4)
    depthwise = conv.DepthwiseConv2D(3, depth_multiplier=2, padding="same", use_bias=False)
    pointwise = conv.Conv2D(4, 1)
    depthwise.build(x.shape)
    pointwise.build((2, 6, 6, 6))
    depthwise.set_weights([depthwise_kernel])
    pointwise.set_weights([pointwise_kernel, bias])
    np.testing.assert_allclose(
        y.detach().numpy(), pointwise(depthwise(x)).detach().numpy(), rtol=1e-5, atol=1e-5
    )


def test_count_params_and_config_match_keras(keras):
    kwargs = dict(depth_multiplier=2, padding="same", name="s", pointwise_regularizer="l2")
    ours, theirs = conv.SeparableConv1D(7, 3, **kwargs), keras.layers.SeparableConv1D(7, 3, **kwargs)
    ours.build((1, 6, 4))
    theirs.build((1, 6, 4))
    assert ours.count_params() == theirs.count_params() == 3 * 4 * 2 + 8 * 7 + 7
    assert ours.get_config() == theirs.get_config()


def test_aliases():
    assert conv.SeparableConvolution1D is conv.SeparableConv1D
    assert conv.SeparableConvolution2D is conv.SeparableConv2D
    assert get_registered_object("SeparableConvolution2D") is conv.SeparableConv2D


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: conv.SeparableConv2D(0, 3), "filters"),
        (lambda: conv.SeparableConv2D(2, 3, depth_multiplier=-1), "depth_multiplier"),
        (lambda: conv.SeparableConv2D(2, 3, padding="full"), "padding"),
    ],
)
def test_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_call_errors():
    layer = conv.SeparableConv2D(2, 3)
    layer(np.zeros((1, 5, 5, 2), "float32"))
    with pytest.raises(ValueError, match="expected inputs with 2 channels"):
        layer(np.zeros((1, 5, 5, 1), "float32"))
    with pytest.raises(ValueError, match="too small"):
        conv.SeparableConv2D(2, 6)(np.zeros((1, 5, 5, 1), "float32"))
