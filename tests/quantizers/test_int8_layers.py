"""`quantize("int8")` on layers and models: Keras's numbers, weights, policy and files."""

import os
import warnings

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import dtype_policies, layers


def _keras_and_ours(keras, make, build_shape, weights):
    ref = make(keras.layers)
    ref.build(build_shape)
    ref.set_weights(weights)
    ref.quantize("int8")
    ours = make(layers)
    ours.build(build_shape)
    ours.set_weights(weights)
    ours.quantize("int8")
    return ref, ours


def test_dense_int8_matches_keras(keras):
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(6, 5)).astype("float32"), rng.normal(size=5).astype("float32")]
    ref, ours = _keras_and_ours(keras, lambda m: m.Dense(5, activation="relu"), (None, 6), weights)
    x = rng.normal(size=(3, 4, 6)).astype("float32") * 2
    np.testing.assert_allclose(ours(torch.tensor(x)).detach().numpy(), np.asarray(ref(x).detach()), atol=1e-5)
    assert ours.kernel.dtype == torch.int8 and ours.kernel_scale.shape == (5,)
    assert [np.asarray(w).dtype for w in ours.get_weights()] == [np.float32, np.int8, np.float32]
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))
    assert ours.dtype_policy.name == ref.dtype_policy.name == "int8_from_float32"
    assert ours.quantization_mode == "int8"
    assert ours.get_config()["dtype"]["config"] == ref.get_config()["dtype"]["config"]
    # reference formula: quantized inputs times quantized kernel, rescaled
    q_x, s_x = torchkeras.quantizers.abs_max_quantize(torch.tensor(x), -1)
    expected = (q_x.float() @ ours.kernel.float()) / (s_x * ours.kernel_scale) + ours.bias
    np.testing.assert_allclose(
        ours(torch.tensor(x)).detach().numpy(), torch.relu(expected).detach().numpy(), atol=1e-5
    )


def test_dense_int8_inputs_gradient_uses_dequantized_kernel():
    layer = layers.Dense(3, use_bias=False)
    layer.build((None, 4))
    layer.quantize("int8")
    x = torch.randn(2, 4, generator=torch.Generator().manual_seed(1), requires_grad=True)
    layer(x).sum().backward()
    float_kernel = layer.kernel.float() / layer.kernel_scale
    np.testing.assert_allclose(x.grad.numpy(), float_kernel.sum(1).expand(2, 4).numpy(), rtol=1e-6)
    assert not layer.trainable_weights


def test_quantize_errors_leave_layer_unchanged():
    layer = layers.Dense(3)
    with pytest.raises(ValueError, match="not built yet"):
        layer.quantize("int8")
    layer.build((None, 2))
    with pytest.raises(ValueError, match="mode"):
        layer.quantize("int5")
    with pytest.raises(ValueError, match="config"):
        layer.quantize("int8", config=object())
    assert layer.kernel.dtype == torch.float32 and layer.quantization_mode is None
    layer.quantize("int8")
    with pytest.raises(ValueError, match="already quantized"):
        layer.quantize("int8")
    with pytest.raises(NotImplementedError, match="quantize"):
        layers.Dropout(0.5).quantize("int8")


def test_model_quantize_save_load_both_ways(keras, tmp_path):
    rng = np.random.default_rng(2)
    model = torchkeras.Sequential(
        [
            torchkeras.Input((6,)),
            layers.Dense(8, activation="relu", name="d1"),
            layers.Dropout(0.1),
            layers.Dense(3, name="d2"),
        ]
    )
    x = rng.normal(size=(4, 6)).astype("float32")
    before = model.predict(x, verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.quantize("int8")
    assert any("Dropout" in str(w.message) for w in caught)
    after = model.predict(x, verbose=0)
    np.testing.assert_allclose(after, before, atol=0.05 * np.abs(before).max())
    path = os.path.join(tmp_path, "ours.keras")
    model.save(path)
    reloaded = torchkeras.saving.load_model(path)
    assert reloaded.get_layer("d1").dtype_policy.name == "int8_from_float32"
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), after)
    ref = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(ref.predict(x, verbose=0)), after, atol=1e-5)
    keras_path = os.path.join(tmp_path, "keras.keras")
    ref.save(keras_path)
    np.testing.assert_allclose(
        torchkeras.saving.load_model(keras_path).predict(x, verbose=0), after, atol=1e-5
    )


def test_model_quantize_filters():
    model = torchkeras.Sequential(
        [torchkeras.Input((4,)), layers.Dense(4, name="keep"), layers.Dense(2, name="quant")]
    )
    model.quantize("int8", filters="qua")
    assert model.get_layer("keep").quantization_mode is None
    assert model.get_layer("quant").quantization_mode == "int8"
    with pytest.raises(ValueError, match="filters"):
        model.quantize("int8", filters=3)


def test_quantized_dtype_policy():
    policy = dtype_policies.get("int8_from_mixed_bfloat16")
    assert isinstance(policy, dtype_policies.QuantizedDTypePolicy)
    assert (policy.quantization_mode, policy.variable_dtype, policy.compute_dtype) == (
        "int8",
        "float32",
        "bfloat16",
    )
    config = dtype_policies.serialize(policy)
    assert config["config"] == {"mode": "int8", "source_name": "mixed_bfloat16"}
    assert dtype_policies.deserialize(config) == policy
    with pytest.raises(ValueError, match="mode"):
        dtype_policies.QuantizedDTypePolicy("int3", "float32")
    with pytest.raises(ValueError, match="float16"):
        dtype_policies.QuantizedDTypePolicy("int8", "float16")
    # a layer made with a quantized policy builds int8 weights
    layer = layers.Dense(2, dtype=policy)
    layer.build((None, 3))
    assert layer.kernel.dtype == torch.int8 and layer.compute_dtype == "bfloat16"
    with pytest.raises(NotImplementedError, match="quantize"):
        layers.Dropout(0.1, dtype="int8_from_float32")


def test_embedding_int8_matches_keras_and_round_trips(keras, tmp_path):
    rng = np.random.default_rng(3)
    weights = [rng.normal(size=(10, 4)).astype("float32")]
    ref, ours = _keras_and_ours(keras, lambda m: m.Embedding(10, 4), None, weights)
    x = rng.integers(0, 10, size=(3, 5))
    np.testing.assert_allclose(ours(torch.tensor(x)).numpy(), np.asarray(ref(x)), atol=1e-6)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))
    assert ours.embeddings_scale.shape == (10,) and ours.embeddings.dtype == torch.int8
    np.testing.assert_allclose(
        ours(torch.tensor(x)).numpy(), weights[0][x], atol=np.abs(weights[0]).max() / 127
    )
    model = torchkeras.Sequential(
        [torchkeras.Input((5,), dtype="int32"), layers.Embedding(10, 4), layers.Dense(2)]
    )
    model.quantize("int8")
    path = os.path.join(tmp_path, "emb.keras")
    model.save(path)
    expected = model.predict(x, verbose=0)
    np.testing.assert_array_equal(torchkeras.saving.load_model(path).predict(x, verbose=0), expected)
    np.testing.assert_allclose(
        np.asarray(keras.saving.load_model(path).predict(x, verbose=0)), expected, atol=1e-6
    )


@pytest.mark.parametrize(
    "equation,output_shape,input_shape,bias_axes",
    [
        ("ab,bc->ac", (4,), (None, 3), "c"),
        ("abc,cde->abde", (5, 2, 4), (None, 5, 3), "de"),
        ("abcd,cde->abe", (5, 4), (None, 5, 3, 2), None),
        ("abc,cdb->adb", (6, 5), (None, 5, 3), None),
    ],
)
def test_einsum_dense_int8_matches_keras(keras, equation, output_shape, input_shape, bias_axes):
    rng = np.random.default_rng(4)
    probe = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)
    probe.build(input_shape)
    weights = [rng.normal(size=tuple(v.shape)).astype("float32") for v in probe.weights]
    ref, ours = _keras_and_ours(
        keras, lambda m: m.EinsumDense(equation, output_shape, bias_axes=bias_axes), input_shape, weights
    )
    x = rng.normal(size=(2, *input_shape[1:])).astype("float32")
    np.testing.assert_allclose(ours(torch.tensor(x)).detach().numpy(), np.asarray(ref(x).detach()), atol=1e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))


def test_einsum_dense_int8_ellipsis_and_files(keras, tmp_path):
    # Keras 3.15 cannot quantize an ellipsis equation; check against the dequantized kernel instead.
    layer = layers.EinsumDense("...b,bc->...c", 4)
    layer.build((None, 2, 3))
    kernel = layer.kernel.detach().clone()
    layer.quantize("int8")
    assert layer.kernel_scale.shape == (1, 1, 4)
    x = torch.randn(5, 2, 3, generator=torch.Generator().manual_seed(5))
    expected = torch.einsum("...b,bc->...c", x, kernel)
    np.testing.assert_allclose(
        layer(x).detach().numpy(), expected.numpy(), atol=0.03 * expected.abs().max().item()
    )
    model = torchkeras.Sequential(
        [torchkeras.Input((5, 3)), layers.EinsumDense("abc,cd->abd", (5, 4), bias_axes="d")]
    )
    model.quantize("int8")
    path = os.path.join(tmp_path, "einsum.keras")
    model.save(path)
    data = np.random.default_rng(6).normal(size=(2, 5, 3)).astype("float32")
    expected = model.predict(data, verbose=0)
    np.testing.assert_array_equal(torchkeras.saving.load_model(path).predict(data, verbose=0), expected)
    np.testing.assert_allclose(
        np.asarray(keras.saving.load_model(path).predict(data, verbose=0)), expected, atol=1e-5
    )


def test_int8_layers_compute_in_the_policy_compute_dtype(keras):
    dense = layers.Dense(3, dtype="mixed_bfloat16")
    dense.build((None, 4))
    dense.quantize("int8")
    assert dense.dtype_policy.name == "int8_from_mixed_bfloat16"
    x = torch.randn(2, 4, generator=torch.Generator().manual_seed(7), requires_grad=True)
    y = dense(x)
    y.float().sum().backward()
    assert y.dtype == torch.bfloat16 and x.grad.dtype == torch.float32
    einsum = layers.EinsumDense("ab,bc->ac", 3, bias_axes="c", dtype="mixed_bfloat16")
    einsum.build((None, 4))
    einsum.quantize("int8")
    assert einsum(torch.ones(2, 4)).dtype == torch.bfloat16
    embedding = layers.Embedding(5, 3, dtype="mixed_bfloat16")
    embedding.build(None)
    embedding.quantize("int8")
    assert embedding(torch.tensor([[1, 2]])).dtype == torch.bfloat16
    ref = keras.layers.Dense(3, dtype="mixed_bfloat16")
    ref.build((None, 4))
    ref.quantize("int8")
    assert str(ref(np.ones((2, 4), "float32")).dtype) == "torch.bfloat16"
