"""`quantize("int4")`: Keras's packed kernels, scales, policies, numbers and files."""

import os

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers, quantizers


def _quantize_both(keras, make, build_shape, weights, config):
    built = []
    for lib in (keras, torchkeras):
        layer = make(lib.layers)
        layer.build(build_shape)
        layer.set_weights(weights)
        if config is None:
            layer.quantize("int4")
        else:
            layer.quantize(config=config(lib.quantizers))
        built.append(layer)
    return built


@pytest.mark.parametrize("block_size", [None, -1, 4, 3])
@pytest.mark.parametrize("units", [5, 6])
def test_dense_int4_matches_keras(keras, block_size, units):
    rng = np.random.default_rng(units)
    weights = [rng.normal(size=(10, units)).astype("float32"), rng.normal(size=units).astype("float32")]
    config = None if block_size is None else (lambda q: q.Int4QuantizationConfig(block_size=block_size))
    make = lambda m: m.Dense(units, activation="relu")  # noqa: E731
    ref, ours = _quantize_both(keras, make, (None, 10), weights, config)
    x = rng.normal(size=(3, 2, 10)).astype("float32")
    np.testing.assert_allclose(ours(torch.tensor(x)).detach().numpy(), np.asarray(ref(x).detach()), atol=1e-5)
    assert [tuple(v.shape) for v in ours.weights] == [tuple(v.shape) for v in ref.weights]
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))
    assert ours.dtype_policy.name == ref.dtype_policy.name
    assert ours.get_config() == {**ref.get_config(), "name": ours.name}
    assert ours.kernel.shape == (10, (units + 1) // 2) and ours.kernel.dtype == torch.int8


def test_dense_int4_reference_formula_and_gradient():
    layer = layers.Dense(4, use_bias=False)
    layer.build((None, 8))
    kernel = layer.kernel.detach().clone()
    layer.quantize(config=quantizers.Int4QuantizationConfig(block_size=None))
    values = quantizers.unpack_int4(layer.kernel, 4, axis=-1)
    assert int(values.min()) >= -8 and int(values.max()) <= 7
    float_kernel = values.float() / layer.kernel_scale
    assert torch.allclose(float_kernel, kernel, atol=float(kernel.abs().max()) / 7)
    x = torch.randn(3, 8, generator=torch.Generator().manual_seed(0), requires_grad=True)
    layer(x).sum().backward()
    torch.testing.assert_close(layer(x), x @ float_kernel)
    torch.testing.assert_close(x.grad, float_kernel.sum(1).expand(3, 8))
    assert not layer.trainable_weights


def test_int4_sub_channel_with_custom_quantizer_is_refused():
    with pytest.raises(ValueError, match="custom quantizers"):
        quantizers.Int4QuantizationConfig(activation_quantizer=quantizers.AbsMaxQuantizer())


@pytest.mark.parametrize("block_size", [-1, 4])
def test_model_int4_save_load_both_ways(keras, tmp_path, block_size):
    rng = np.random.default_rng(5)
    model = torchkeras.Sequential(
        [torchkeras.Input((10,)), layers.Dense(7, activation="relu", name="d1"), layers.Dense(3, name="d2")]
    )
    x = rng.normal(size=(4, 10)).astype("float32")
    before = model.predict(x, verbose=0)
    model.quantize(config=quantizers.Int4QuantizationConfig(block_size=block_size))
    after = model.predict(x, verbose=0)
    np.testing.assert_allclose(after, before, atol=0.3 * np.abs(before).max())
    path = os.path.join(tmp_path, "ours.keras")
    model.save(path)
    reloaded = torchkeras.saving.load_model(path)
    assert reloaded.get_layer("d1").dtype_policy.name == f"int4/{block_size}_from_float32"
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), after)
    ref = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(ref.predict(x, verbose=0)), after, atol=1e-5)
    keras_path = os.path.join(tmp_path, "keras.keras")
    ref.save(keras_path)
    from_keras = torchkeras.saving.load_model(keras_path)
    np.testing.assert_allclose(from_keras.predict(x, verbose=0), after, atol=1e-5)
    weights_path = os.path.join(tmp_path, "model.weights.h5")
    ref.save_weights(weights_path)
    reloaded.load_weights(weights_path)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), after, atol=1e-5)


@pytest.mark.parametrize("block_size", [-1, 4])
@pytest.mark.parametrize(
    "equation, output_shape, bias_axes, input_shape",
    [
        ("ab,bc->ac", (6,), "c", (None, 8)),
        ("abc,cde->abde", (None, 3, 5), "de", (None, 4, 8)),
        ("abcd,cde->abe", (None, 5), None, (None, 4, 3, 6)),
    ],
)
def test_einsum_dense_int4_matches_keras(keras, block_size, equation, output_shape, bias_axes, input_shape):
    rng = np.random.default_rng(7)
    ref = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)
    ref.build(input_shape)
    weights = [rng.normal(size=tuple(v.shape)).astype("float32") for v in ref.weights]
    make = lambda m: m.EinsumDense(equation, output_shape, bias_axes=bias_axes)  # noqa: E731
    config = lambda q: q.Int4QuantizationConfig(block_size=block_size)  # noqa: E731
    ref, ours = _quantize_both(keras, make, input_shape, weights, config)
    x = rng.normal(size=(2, *input_shape[1:])).astype("float32")
    np.testing.assert_allclose(ours(torch.tensor(x)).detach().numpy(), np.asarray(ref(x).detach()), atol=1e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))
    assert ours.dtype_policy.name == ref.dtype_policy.name == f"int4/{block_size}_from_float32"
    clone = layers.EinsumDense.from_config(ours.get_config())
    clone.build(input_shape)
    clone.set_weights(ours.get_weights())
    torch.testing.assert_close(clone(torch.tensor(x)), ours(torch.tensor(x)))


@pytest.mark.parametrize("block_size", [None, -1, 3])
@pytest.mark.parametrize("output_dim", [6, 7])
def test_embedding_int4_matches_keras(keras, tmp_path, block_size, output_dim):
    rng = np.random.default_rng(output_dim)
    weights = [rng.normal(size=(10, output_dim)).astype("float32")]
    config = None if block_size is None else (lambda q: q.Int4QuantizationConfig(block_size=block_size))
    ref, ours = _quantize_both(keras, lambda m: m.Embedding(10, output_dim), (None, 4), weights, config)
    x = rng.integers(0, 10, size=(3, 4))
    np.testing.assert_allclose(ours(torch.tensor(x)).detach().numpy(), np.asarray(ref(x).detach()), atol=1e-6)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))
    assert ours.dtype_policy.name == ref.dtype_policy.name
    model = torchkeras.Sequential([torchkeras.Input((4,), dtype="int32"), ours])
    path = os.path.join(tmp_path, "emb.keras")
    model.save(path)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(
        np.asarray(keras.saving.load_model(path).predict(x, verbose=0)), expected, atol=1e-6
    )
    np.testing.assert_array_equal(torchkeras.saving.load_model(path).predict(x, verbose=0), expected)
