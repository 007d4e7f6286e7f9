"""`quantize("float8")`: Keras's float8 training (delayed scaling), variables, policy and files."""

import os

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers, quantizers


def _train(lib, make, weights, x, y, epochs=3):
    model = lib.Sequential([lib.Input(x.shape[1:]), make(lib.layers)])
    layer = model.layers[-1]
    layer.set_weights(weights)
    model.quantize("float8")
    before = np.asarray(model.predict(x, verbose=0))
    model.compile(optimizer=lib.optimizers.SGD(0.01), loss="mse")
    history = model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, shuffle=False)
    return model, layer, before, history.history["loss"]


@pytest.mark.filterwarnings("ignore:Layer InputLayer")
@pytest.mark.parametrize(
    "make, x_shape, y_shape",
    [
        (lambda m: m.Dense(5, name="q"), (16, 8), (16, 5)),
        (lambda m: m.EinsumDense("abc,cd->abd", (3, 4), bias_axes="d", name="q"), (16, 3, 6), (16, 3, 4)),
    ],
)
def test_float8_training_matches_keras(keras, make, x_shape, y_shape):
    rng = np.random.default_rng(0)
    probe = make(keras.layers)
    probe.build((None, *x_shape[1:]))
    weights = [rng.normal(size=tuple(v.shape)).astype("float32") for v in probe.weights]
    x = rng.normal(size=x_shape).astype("float32") * 3
    y = rng.normal(size=y_shape).astype("float32")
    ref_model, ref, ref_before, ref_loss = _train(keras, make, weights, x, y)
    model, ours, before, loss = _train(torchkeras, make, weights, x, y)
    np.testing.assert_allclose(before, ref_before, atol=1e-5)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), np.asarray(ref_model.predict(x, verbose=0)), atol=1e-4
    )
    assert [(v.name, tuple(v.shape)) for v in ours.weights] == [(v.name, tuple(v.shape)) for v in ref.weights]
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    assert ours.dtype_policy.name == ref.dtype_policy.name == "float8_from_float32"
    assert float(ours.inputs_scale.detach()) != 1.0 and float(ours.inputs_amax_history[0].detach()) > 0


def test_float8_reference_formula_and_inference_keeps_scales():
    layer = layers.Dense(3, use_bias=False)
    layer.build((None, 4))
    layer.quantize(config=quantizers.Float8QuantizationConfig())
    with torch.no_grad():
        layer.inputs_scale.fill_(0.5)
        layer.kernel_scale.fill_(0.25)
    x = torch.randn(2, 4, generator=torch.Generator().manual_seed(0)) * 100
    e4m3 = torch.float8_e4m3fn
    limit = torch.finfo(e4m3).max
    q_x = torch.clamp(x / 0.5, -limit, limit).to(e4m3).float() * 0.5
    q_k = torch.clamp(layer.kernel.detach() / 0.25, -limit, limit).to(e4m3).float() * 0.25
    torch.testing.assert_close(layer(x), q_x @ q_k)
    assert float(layer.inputs_scale) == 0.5 and float(layer.inputs_amax_history.sum()) == 0.0
    assert layer.inputs_scale.overwrite_with_gradient and not layer.kernel.overwrite_with_gradient


def test_amax_history_length_from_policy_and_save_load(keras, tmp_path):
    policy = torchkeras.dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", amax_history_length=16)
    layer = layers.Dense(3, dtype=policy)
    layer.build((None, 4))
    assert layer.inputs_amax_history.shape == (16,)
    model = torchkeras.Sequential([torchkeras.Input((4,)), layers.Dense(3, name="d")])
    model.quantize("float8")
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    model.fit(x, x[:, :3], epochs=1, verbose=0)
    path = os.path.join(tmp_path, "f8.keras")
    model.save(path)
    expected = model.predict(x, verbose=0)
    ref = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(ref.predict(x, verbose=0)), expected, atol=1e-5)
    keras_path = os.path.join(tmp_path, "k.keras")
    ref.save(keras_path)
    reloaded = torchkeras.saving.load_model(keras_path)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), expected, atol=1e-5)
    np.testing.assert_array_equal(
        reloaded.get_layer("d").inputs_amax_history.detach().numpy(),
        model.get_layer("d").inputs_amax_history.detach().numpy(),
    )


@pytest.mark.parametrize("steps", [None, 2])
def test_optimizer_overwrites_variables_with_their_gradient(steps):
    scale = torchkeras.Variable(np.ones(()), dtype="float32", name="scale")
    scale.overwrite_with_gradient = True
    weight = torchkeras.Variable(np.ones(2), dtype="float32", name="w")
    optimizer = torchkeras.optimizers.SGD(0.1, gradient_accumulation_steps=steps)
    optimizer.apply([torch.tensor(3.0), torch.ones(2)], [scale, weight])
    optimizer.apply([torch.tensor(2.0), torch.ones(2)], [scale, weight])
    assert float(scale.detach()) == (3.0 if steps else 2.0)  # the window's maximum when accumulating
    np.testing.assert_allclose(weight.detach().numpy(), [0.9, 0.9] if steps else [0.8, 0.8], rtol=1e-6)


@pytest.mark.parametrize("mode", ["int8", "int4", "float8"])
def test_quantized_dense_under_mixed_bfloat16_matches_keras(keras, mode):
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(16, 6)).astype("float32"), rng.normal(size=6).astype("float32")]
    x = rng.normal(size=(3, 16)).astype("float32")
    outputs = []
    for lib in (keras, torchkeras):
        layer = lib.layers.Dense(6, dtype="mixed_bfloat16")
        layer.build((None, 16))
        layer.set_weights(weights)
        layer.quantize(mode)
        y = layer(torch.tensor(x))
        assert y.dtype == torch.bfloat16 and layer.dtype_policy.name.endswith("_from_mixed_bfloat16")
        outputs.append(y.detach().float().numpy())
    np.testing.assert_allclose(outputs[1], outputs[0], atol=0.05, rtol=0.01)  # bfloat16 rounding
