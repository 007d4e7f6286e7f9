"""EinsumDense: parity with Keras on the same weights, shapes derived from the equation, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras import initializers
from torchkeras.layers.core.einsum_dense import EinsumDense, analyze_einsum

RNG = np.random.default_rng(0)

CASES = [
    # equation, output_shape, bias_axes, input shape, expected kernel shape, expected bias shape
    ("ab,bc->ac", 4, "c", (3, 5), (5, 4), (4,)),
    ("ab,bc->ac", (4,), None, (3, 5), (5, 4), None),
    ("abc,cd->abd", (None, 4), "d", (2, 3, 5), (5, 4), (4,)),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 3, 5), (5, 2, 3), (2, 3)),
    ("abc,cde->abde", (None, 2, 3), "e", (2, 3, 5), (5, 2, 3), (3,)),
    ("abc,cde->abde", (3, 2, 3), "bde", (2, 3, 5), (5, 2, 3), (3, 2, 3)),
    ("abcd,cde->abe", (None, 6), "e", (2, 3, 4, 5), (4, 5, 6), (6,)),
    ("abc,bcd->ad", 4, "d", (2, 3, 5), (3, 5, 4), (4,)),
    ("...b,bc->...c", 4, "c", (2, 3, 5), (5, 4), (4,)),
    ("...b,bc->...c", 4, "c", (2, 5), (5, 4), (4,)),
    ("ab...,bc->ac...", 4, "c", (2, 5, 3), (5, 4), (4, 1)),
    ("ab...,bc->ac...", 4, "c", (2, 5, 3, 2), (5, 4), (4, 1, 1)),
]


@pytest.mark.parametrize(("equation", "output_shape", "bias_axes", "shape", "kernel", "bias"), CASES)
def test_parity(keras, equation, output_shape, bias_axes, shape, kernel, bias):
    x = RNG.normal(size=shape).astype("float32")
    kwargs = {"bias_initializer": "random_normal"}
    out = check_layer(
        lambda: EinsumDense(equation, output_shape, bias_axes=bias_axes, **kwargs),
        x,
        lambda: keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, **kwargs),
    )
    layer = EinsumDense(equation, output_shape, bias_axes=bias_axes)
    layer(torch.as_tensor(x))
    assert layer.kernel.shape == kernel
    assert (None if layer.bias is None else tuple(layer.bias.shape)) == bias
    assert layer.compute_output_shape(shape) == out.shape


def test_reference_formula_and_activation():
    x = torch.as_tensor(RNG.normal(size=(2, 3, 5)).astype("float32"))
    layer = EinsumDense("abc,cde->abde", (None, 2, 4), activation="relu", bias_axes="de")
    y = layer(x)
    kernel, bias = layer.get_weights()
    expected = np.maximum(np.einsum("abc,cde->abde", x.numpy(), kernel) + bias, 0)
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_config_matches_keras(keras):
    kwargs = {
        "activation": "tanh",
        "bias_axes": "de",
        "kernel_regularizer": "l2",
        "bias_constraint": "non_neg",
    }
    ours = EinsumDense("abc,cde->abde", (None, 2, 3), name="e", **kwargs).get_config()
    theirs = keras.layers.EinsumDense("abc,cde->abde", (None, 2, 3), name="e", **kwargs).get_config()
    assert ours == theirs


def test_kernel_initializer_fans_follow_the_equation(keras):
    # Glorot's fans are the contracted (5) and produced (2 * 3) kernel axes, as in Keras.
    init = initializers.GlorotUniform(seed=3)
    layer = EinsumDense("abc,cde->abde", (None, 2, 3), kernel_initializer=init)
    layer.build((None, 4, 5))
    limit = np.sqrt(6.0 / (5 + 6))
    assert np.abs(layer.get_weights()[0]).max() <= limit
    theirs = keras.layers.EinsumDense(
        "abc,cde->abde", (None, 2, 3), kernel_initializer=keras.initializers.GlorotUniform(seed=3)
    )
    theirs.build((None, 4, 5))
    np.testing.assert_allclose(layer.get_weights()[0], np.asarray(theirs.get_weights()[0]), rtol=1e-6)
    assert init.input_axes is None  # the user's initializer is left untouched


def test_regularizer_losses():
    layer = EinsumDense("ab,bc->ac", 3, bias_axes="c", kernel_regularizer="l2", bias_regularizer="l1")
    layer(torch.ones(2, 4))
    kernel, _ = layer.get_weights()
    assert len(layer.losses) == 2
    np.testing.assert_allclose(float(layer.losses[0].detach()), 0.01 * (kernel**2).sum(), rtol=1e-5)


@pytest.mark.parametrize(
    ("equation", "output_shape", "bias_axes", "shape", "match"),
    [
        ("ab->ac", 4, None, (3, 5), "Invalid einsum equation"),
        ("ab,bc->ac", 4, "x", (3, 5), "Bias dimension 'x'"),
        ("ab,bcd->ac", 4, None, (3, 5), "Weight dimension 'd'"),
        ("ab,bc->acd", (4, 2), None, (3, 5), "Dimension 'd'"),
        ("abc,cd->abd", (4, 6), None, (2, 3, 5), "do not match at shared dimension 'b'"),
        ("abc,cd->abd", 6, None, (2, 3, 5), "output_shape"),
        ("abc,cd->abd", (None, 6), None, (3, 5), "rank 3"),
    ],
)
def test_build_errors(equation, output_shape, bias_axes, shape, match):
    layer = EinsumDense(equation, output_shape, bias_axes=bias_axes, name="proj")
    with pytest.raises(ValueError, match=match):
        layer.build(shape)


def test_call_and_argument_errors():
    layer = EinsumDense("abc,cd->abd", (None, 4), name="proj")
    layer(torch.ones(2, 3, 5))
    with pytest.raises(ValueError, match="EinsumDense 'proj'.*rank 3"):
        layer(torch.ones(2, 5))
    with pytest.raises(ValueError, match="bias_axes"):
        EinsumDense("ab,bc->ac", 4, bias_axes=3)
    with pytest.raises(ValueError, match="equation"):
        EinsumDense(None, 4)
    with pytest.raises(ValueError, match="Did you mean 'relu'"):
        EinsumDense("ab,bc->ac", 4, activation="rleu")


def test_analyze_einsum_output_shape():
    shapes = analyze_einsum("...b,bc->...c", "c", (None, 7, 5), (4,))
    assert shapes.output_shape == (None, 7, 4)
    assert shapes.input_axes == (0,) and shapes.output_axes == (1,)
