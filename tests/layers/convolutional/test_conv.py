"""Conv1D / Conv2D / Conv3D: parity with Keras 3, Keras's "same" padding, errors."""

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


# (kwargs, spatial shape, input channels): padding / strides / dilation / groups combinations.
CONV2D_CASES = [
    (dict(kernel_size=3), (7, 8), 3),
    (dict(kernel_size=3, padding="same"), (7, 8), 3),
    (dict(kernel_size=3, strides=2, padding="same"), (7, 8), 3),  # one axis needs asymmetric padding
    (dict(kernel_size=4, strides=2, padding="same"), (8, 7), 3),  # even kernel
    (dict(kernel_size=(2, 3), strides=(2, 1), padding="same"), (7, 6), 3),
    (dict(kernel_size=2, strides=1, padding="same"), (5, 6), 3),  # stride 1, even: extra cell at the end
    (dict(kernel_size=1, strides=3, padding="same"), (7, 8), 3),  # kernel smaller than the stride
    (dict(kernel_size=1), (7, 8), 3),  # 1x1: channels_last runs it through oneDNN (see conv_utils)
    (dict(kernel_size=3, strides=(3, 2)), (8, 7), 3),
    (dict(kernel_size=3, padding="same", dilation_rate=2), (7, 8), 3),
    (dict(kernel_size=(3, 2), dilation_rate=(2, 3)), (7, 8), 3),
    (dict(kernel_size=3, padding="same", groups=2, activation="relu"), (6, 5), 4),
    (dict(kernel_size=3, strides=2, padding="same", groups=4, use_bias=False), (7, 7), 4),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs, spatial, channels", CONV2D_CASES)
def test_conv2d_matches_keras(keras, kwargs, spatial, channels, data_format):
    x = _inputs(_shape(spatial, channels, data_format))
    kwargs = {**kwargs, "data_format": data_format}
    check_layer(lambda: conv.Conv2D(4, **kwargs), x, lambda: keras.layers.Conv2D(4, **kwargs))


CONV1D_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=3, strides=2, padding="same"),
    dict(kernel_size=4, padding="same", dilation_rate=2),
    dict(kernel_size=3, padding="causal"),
    dict(kernel_size=3, padding="causal", dilation_rate=2),
    dict(kernel_size=2, strides=2, padding="causal"),
    dict(kernel_size=3, strides=3, groups=2, activation="tanh"),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", CONV1D_CASES)
def test_conv1d_matches_keras(keras, kwargs, data_format):
    x = _inputs(_shape((9,), 4, data_format))
    kwargs = {**kwargs, "data_format": data_format}
    check_layer(lambda: conv.Conv1D(6, **kwargs), x, lambda: keras.layers.Conv1D(6, **kwargs))


CONV3D_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, strides=2, padding="same"),
    dict(kernel_size=(1, 2, 3), padding="same", dilation_rate=(1, 2, 1)),
    dict(kernel_size=2, groups=2, use_bias=False),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", CONV3D_CASES)
def test_conv3d_matches_keras(keras, kwargs, data_format):
    x = _inputs(_shape((4, 5, 6), 2, data_format))
    kwargs = {**kwargs, "data_format": data_format}
    check_layer(lambda: conv.Conv3D(4, **kwargs), x, lambda: keras.layers.Conv3D(4, **kwargs))


def test_same_padding_puts_the_extra_cell_at_the_end():
    # Length 8, kernel 3, stride 2: 4 outputs need one padding cell, which goes at the end.
    layer = conv.Conv2D(2, 3, strides=2, padding="same")
    x = torch.randn(1, 8, 8, 3)
    same = layer(x)
    valid = conv.Conv2D(2, 3, strides=2)
    valid.build((1, 9, 9, 3))
    valid.set_weights(layer.get_weights())
    reference = valid(torch.nn.functional.pad(x, (0, 0, 0, 1, 0, 1)))
    np.testing.assert_allclose(same.detach().numpy(), reference.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_causal_padding_never_sees_the_future():
    layer = conv.Conv1D(1, 3, padding="causal", dilation_rate=2)
    x = torch.randn(1, 10, 1)
    changed = x.clone()
    changed[0, 6:] += 1.0
    np.testing.assert_array_equal(layer(x)[0, :6].detach().numpy(), layer(changed)[0, :6].detach().numpy())


def test_kernel_layout_and_reference_formula():
    layer = conv.Conv2D(3, (2, 3), groups=1)
    x = np.random.randn(1, 4, 5, 2).astype("float32")
    y = layer(x).detach().numpy()
    kernel, bias = layer.get_weights()
    assert kernel.shape == (2, 3, 2, 3)
    assert tuple(layer.kernel.shape) == (3, 2, 2, 3)  # stored in torch's (out, in, kh, kw)
    expected = np.zeros((1, 3, 3, 3), "float32")
    for i in range(3):
        for j in range(3):
            expected[0, i, j] = np.einsum("hwc,hwcf->f", x[0, i : i + 2, j : j + 3], kernel) + bias
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_channels_last_runs_on_views_and_gradients_flow():
    layer = conv.Conv2D(4, 3, padding="same")
    x = torch.randn(2, 6, 6, 3, requires_grad=True)
    y = layer(x)
    assert y.shape == (2, 6, 6, 4) and y.is_contiguous()
    y.sum().backward()
    assert x.grad.shape == x.shape and layer.kernel.grad.shape == layer.kernel.shape


def test_pointwise_channels_last_values_and_gradients():
    """A channels-last 1x1 convolution takes oneDNN's kernel (a dilation that changes nothing);
    values and gradients equal torch's plain NCHW convolution."""
    generator = torch.Generator().manual_seed(0)
    layer = conv.Conv2D(6, 1)
    x = torch.randn(3, 5, 4, 8, generator=generator, requires_grad=True)
    layer(x).square().sum().backward()
    kernel = layer.kernel.detach().clone().requires_grad_()
    bias = layer.bias.detach().clone().requires_grad_()
    x_ref = x.detach().permute(0, 3, 1, 2).contiguous().requires_grad_()
    y = torch.nn.functional.conv2d(x_ref, kernel, bias)
    y.square().sum().backward()
    np.testing.assert_allclose(
        layer(x).detach().numpy(), y.detach().permute(0, 2, 3, 1).numpy(), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.permute(0, 2, 3, 1).numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.kernel.grad.numpy(), kernel.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.bias.grad.numpy(), bias.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "make, shape, memory_format",
    [
        (lambda: conv.Conv2D(4, 3, data_format="channels_last"), (2, 6, 6, 3), torch.channels_last),
        (lambda: conv.Conv3D(4, 3, data_format="channels_last"), (2, 5, 5, 5, 3), torch.channels_last_3d),
        (lambda: conv.Conv2D(4, 3, data_format="channels_first"), (2, 3, 6, 6), torch.contiguous_format),
        (lambda: conv.Conv2DTranspose(4, 3, data_format="channels_last"), (2, 6, 6, 3), torch.channels_last),
    ],
)
def test_kernel_memory_format_follows_the_data_format(make, shape, memory_format):
    """Channels-last layers keep their kernel in channels-last memory (no conversion per call),
    through `set_weights`, an optimizer update and `.to()`; Keras's layout is unchanged."""
    layer = make()
    layer.build(shape)
    assert layer.kernel.is_contiguous(memory_format=memory_format)
    kernel = np.random.randn(*layer.get_weights()[0].shape).astype("float32")
    layer.set_weights([kernel, layer.get_weights()[1]])
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)
    layer(torch.randn(shape)).sum().backward()
    torch.optim.SGD(layer.parameters(), lr=0.1).step()
    layer.to(torch.float32)
    assert layer.kernel.is_contiguous(memory_format=memory_format)


@pytest.mark.parametrize(
    "make, keras_make, shape",
    [
        (lambda k: k.Conv1D(5, 3, groups=1), None, (2, 8, 4)),
        (lambda k: k.Conv2D(6, (3, 2), groups=2), None, (2, 8, 8, 4)),
        (lambda k: k.Conv3D(2, 2, use_bias=False), None, (2, 4, 4, 4, 3)),
    ],
)
def test_count_params_matches_keras(keras, make, keras_make, shape):
    ours, theirs = make(conv), make(keras.layers)
    ours.build(shape)
    theirs.build(shape)
    assert ours.count_params() == theirs.count_params()


def test_aliases_and_registry():
    assert conv.Convolution1D is conv.Conv1D
    assert conv.Convolution2D is conv.Conv2D
    assert conv.Convolution3D is conv.Conv3D
    assert get_registered_object("Convolution2D") is conv.Conv2D
    assert get_registered_object("Conv3D") is conv.Conv3D


def test_config_matches_keras(keras):
    kwargs = dict(strides=2, padding="same", groups=2, activation="relu", kernel_regularizer="l2")
    ours = conv.Conv2D(4, 3, name="c", **kwargs).get_config()
    theirs = keras.layers.Conv2D(4, 3, name="c", **kwargs).get_config()
    assert ours == theirs
    assert conv.Conv2D.from_config(theirs).get_config() == theirs  # Keras configs load as they are


def test_symbolic_shapes():
    from torchkeras.layers.input_layer import Input

    x = Input(batch_shape=(None, None, 9, 3))
    assert conv.Conv2D(4, 3, strides=2, padding="same")(x).shape == (None, None, 5, 4)
    assert conv.Conv2D(4, 3).compute_output_shape((None, None, 9, 3)) == (None, None, 7, 4)
    assert conv.Conv1D(4, 3, padding="causal", strides=2).compute_output_shape((2, 9, 3)) == (2, 5, 4)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: conv.Conv2D(2, 3, padding="smae"), r"`padding` must be one of .*Did you mean 'same'\?"),
        (lambda: conv.Conv2D(2, 3, padding="causal"), "padding"),
        (lambda: conv.Conv2D(0, 3), r"`filters` must be a positive integer. Received: filters=0"),
        (lambda: conv.Conv1D(-2, 3), "filters"),
        (lambda: conv.Conv2D(3, 3, groups=2), r"`groups` must divide `filters` \(3\)"),
        (lambda: conv.Conv2D(4, 3, groups=0), "groups"),
        (lambda: conv.Conv2D(2, (3, 3, 3)), "kernel_size"),
        (lambda: conv.Conv2D(2, 0), "kernel_size"),
        (lambda: conv.Conv2D(2, 3, strides=0), "strides"),
        (lambda: conv.Conv2D(2, 3, strides=2, dilation_rate=2), "dilation_rate"),
        (lambda: conv.Conv2D(2, 3, data_format="channels_middle"), "data_format"),
    ],
)
def test_constructor_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_call_errors():
    layer = conv.Conv2D(2, 3, name="c2")
    with pytest.raises(ValueError, match=r"Conv2D 'c2': expected inputs of rank 4"):
        layer(np.zeros((1, 5, 5), "float32"))
    layer(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"Conv2D 'c2': expected inputs with 3 channels"):
        layer(np.zeros((1, 5, 5, 4), "float32"))
    with pytest.raises(ValueError, match="too small"):
        layer(np.zeros((1, 2, 5, 3), "float32"))
    with pytest.raises(ValueError, match="too small"):
        conv.Conv2D(2, 5)(np.zeros((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="too small"):
        conv.Conv1D(2, 3, dilation_rate=3)(np.zeros((1, 6, 1), "float32"))
    with pytest.raises(ValueError, match=r"`groups` must divide the input channels \(3\)"):
        conv.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))
    first = conv.Conv2D(4, 3, data_format="channels_first")
    first(np.zeros((1, 3, 5, 5), "float32"))
    with pytest.raises(ValueError, match=r"3 channels on axis 1 \(data_format='channels_first'\)"):
        first(np.zeros((1, 5, 5, 3), "float32"))
