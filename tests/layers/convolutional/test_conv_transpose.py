"""Conv1DTranspose / Conv2DTranspose / Conv3DTranspose: parity with Keras 3, output sizes, errors."""

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


# kernel_size / strides / padding / output_padding / dilation_rate combinations.
CONV2D_TRANSPOSE_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=3, strides=2),
    dict(kernel_size=2, strides=3),  # kernel smaller than the stride: output (n - 1) * s + s
    dict(kernel_size=3, strides=2, padding="same"),  # torch cannot express this crop alone
    dict(kernel_size=4, strides=2, padding="same"),
    dict(kernel_size=3, strides=2, padding="same", output_padding=1),
    dict(kernel_size=3, strides=2, output_padding=1),  # "valid" + output_padding: zeros + bias
    dict(kernel_size=(3, 5), strides=(3, 2), padding="same", output_padding=(2, 0)),
    dict(kernel_size=2, strides=2, padding="same", output_padding=0),
    dict(kernel_size=3, padding="same", dilation_rate=2, activation="relu"),
    dict(kernel_size=(2, 3), dilation_rate=(2, 1), use_bias=False),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", CONV2D_TRANSPOSE_CASES)
def test_conv2d_transpose_matches_keras(keras, kwargs, data_format):
    x = _inputs(_shape((4, 5), 3, data_format))
    kwargs = {**kwargs, "data_format": data_format, "bias_initializer": "random_normal"}
    check_layer(
        lambda: conv.Conv2DTranspose(2, **kwargs), x, lambda: keras.layers.Conv2DTranspose(2, **kwargs)
    )


CONV1D_TRANSPOSE_CASES = [
    dict(kernel_size=3, strides=2),
    dict(kernel_size=5, strides=2, padding="same"),
    dict(kernel_size=3, strides=3, padding="same", output_padding=2),
    dict(kernel_size=1, strides=2, padding="valid", output_padding=1),
    dict(kernel_size=4, padding="same", dilation_rate=3),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", CONV1D_TRANSPOSE_CASES)
def test_conv1d_transpose_matches_keras(keras, kwargs, data_format):
    x = _inputs(_shape((6,), 3, data_format))
    kwargs = {**kwargs, "data_format": data_format, "bias_initializer": "random_normal"}
    check_layer(
        lambda: conv.Conv1DTranspose(4, **kwargs), x, lambda: keras.layers.Conv1DTranspose(4, **kwargs)
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "kwargs", [dict(kernel_size=2, strides=2), dict(kernel_size=3, strides=(1, 2, 2), padding="same")]
)
def test_conv3d_transpose_matches_keras(keras, kwargs, data_format):
    x = _inputs(_shape((3, 2, 3), 2, data_format))
    kwargs = {**kwargs, "data_format": data_format}
    check_layer(
        lambda: conv.Conv3DTranspose(3, **kwargs), x, lambda: keras.layers.Conv3DTranspose(3, **kwargs)
    )


def test_output_sizes_follow_keras_rules():
    x = torch.randn(1, 5, 4)
    assert conv.Conv1DTranspose(2, 3, strides=2, padding="same")(x).shape == (1, 10, 2)  # n * s
    assert conv.Conv1DTranspose(2, 3, strides=2)(x).shape == (1, 11, 2)  # (n - 1) * s + k
    assert conv.Conv1DTranspose(2, 2, strides=3)(x).shape == (1, 15, 2)  # (n - 1) * s + max(k, s)
    assert conv.Conv1DTranspose(2, 3, strides=2, padding="same", output_padding=0)(x).shape == (1, 9, 2)
    assert conv.Conv1DTranspose(2, 3, strides=3, output_padding=2)(x).shape == (1, 17, 2)
    layer = conv.Conv2DTranspose(2, 3, strides=2, padding="same")
    assert layer.compute_output_shape((None, None, 7, 3)) == (None, None, 14, 2)


def test_transpose_is_the_gradient_of_the_convolution():
    # <conv(x), y> == <x, conv_transpose(y)> with the same kernel (Keras layouts differ by a swap).
    forward = conv.Conv2D(4, 3, strides=2, use_bias=False)
    backward = conv.Conv2DTranspose(3, 3, strides=2, use_bias=False, output_padding=0)
    x, y = torch.randn(1, 9, 9, 3), torch.randn(1, 4, 4, 4)
    forward.build(x.shape)
    backward.build(y.shape)
    backward.set_weights([forward.get_weights()[0]])  # (3, 3, in=3, out=4) is also (3, 3, 3, 4)
    with torch.no_grad():
        lhs = (forward(x) * y).sum()
        rhs = (x * backward(y)).sum()
    np.testing.assert_allclose(lhs.numpy(), rhs.numpy(), rtol=1e-4)


def test_kernel_layout_and_count_params(keras):
    ours, theirs = conv.Conv2DTranspose(5, (2, 3)), keras.layers.Conv2DTranspose(5, (2, 3))
    ours.build((1, 4, 4, 3))
    theirs.build((1, 4, 4, 3))
    assert ours.get_weights()[0].shape == (2, 3, 5, 3)  # (kh, kw, filters, channels)
    assert tuple(ours.kernel.shape) == (3, 5, 2, 3)  # torch's (in, out, kh, kw)
    assert ours.count_params() == theirs.count_params()
    kwargs = dict(strides=2, padding="same", output_padding=1, name="t")
    assert (
        conv.Conv3DTranspose(2, 3, **kwargs).get_config()
        == keras.layers.Conv3DTranspose(2, 3, **kwargs).get_config()
    )


def test_aliases():
    assert conv.Convolution2DTranspose is conv.Conv2DTranspose
    assert conv.Convolution3DTranspose is conv.Conv3DTranspose
    assert get_registered_object("Convolution2DTranspose") is conv.Conv2DTranspose


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: conv.Conv2DTranspose(2, 3, strides=2, output_padding=2), "`output_padding` must be smaller"),
        (lambda: conv.Conv2DTranspose(2, 3, output_padding=-1), "output_padding"),
        (
            lambda: conv.Conv2DTranspose(2, 3, padding="causal"),
            r"`padding` must be one of \('valid', 'same'\)",
        ),
        (lambda: conv.Conv1DTranspose(2, 3, padding="vaild"), "Did you mean 'valid'"),
        (lambda: conv.Conv2DTranspose(0, 3), "filters"),
        (lambda: conv.Conv2DTranspose(2, 3, strides=2, dilation_rate=2), "dilation_rate"),
    ],
)
def test_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_call_errors():
    layer = conv.Conv2DTranspose(2, 3)
    layer(np.zeros((1, 4, 4, 3), "float32"))
    with pytest.raises(ValueError, match="expected inputs with 3 channels"):
        layer(np.zeros((1, 4, 4, 2), "float32"))
    with pytest.raises(ValueError, match="rank 4"):
        layer(np.zeros((1, 4, 4, 4, 3), "float32"))
