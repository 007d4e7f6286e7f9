"""AWQ: the scale search and the quantization against Keras's internal functions on the same
tensors, then `model.quantize("awq", ...)` end to end.

Keras 3.15.1 hooks `layer.call` to see the layers' inputs, which a quantized layer never runs:
its activation magnitudes stay zero and every AWQ scale comes out 1. torchkeras calibrates on the
real inputs; the tests say where they rely on that.
"""

import numpy as np
import pytest
import torch

import torchkeras
from tests.quantizers.tiny_lm import (
    Tokenizer,
    calibrated_layers,
    dataset,
    keras_with_working_hooks,
    lm_class,
    twin_models,
)
from torchkeras.quantizers import awq as awq_lib
from torchkeras.quantizers import zero_point

__all__ = ["keras_with_working_hooks"]  # a fixture


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _weights(rng, out_features=6, in_features=16):
    w = rng.normal(size=(out_features, in_features)).astype("float32")
    # every group of 4 holds a negative value: Keras's all-positive-group zero point wraps around
    # (see test_gptq.py), which would blur the comparison
    w[:, ::4] = -np.abs(w[:, ::4])
    return w


@pytest.mark.parametrize("group_size", [-1, 4, 8])
@pytest.mark.parametrize("num_grid_points", [1, 5, 20])
def test_search_optimal_scales_matches_keras(keras, group_size, num_grid_points):
    from keras.src.quantizers import awq as keras_awq

    rng = np.random.default_rng(10)
    w = _weights(rng)
    magnitudes = np.abs(rng.normal(size=16)).astype("float32") * 4
    magnitudes[2] = 0.0  # below 1e-8: counts as 1
    ours = awq_lib.awq_search_optimal_scales(
        torch.tensor(w), torch.tensor(magnitudes), num_grid_points=num_grid_points, group_size=group_size
    )
    ref = keras_awq.awq_search_optimal_scales(
        torch.tensor(w), torch.tensor(magnitudes), num_grid_points=num_grid_points, group_size=group_size
    )
    np.testing.assert_allclose(_np(ours), _np(ref), rtol=1e-6)


def test_search_returns_a_grid_point_with_the_lowest_loss():
    rng = np.random.default_rng(11)
    w = torch.tensor(_weights(rng))
    x_max = torch.tensor(np.abs(rng.normal(size=16)).astype("float32") * 10)
    best = awq_lib.awq_search_optimal_scales(w, x_max, num_grid_points=10, group_size=4)

    def loss(scales):
        q, scale, zero, g_idx = awq_lib._quantize_4bit(w * scales, 4)
        w_hat = zero_point.dequantize_with_sz_map(q, scale, zero, g_idx) / scales
        return float(torch.mean((w - w_hat) ** 2 * x_max**2))

    candidates = []
    for i in range(11):
        s = torch.clamp(x_max ** (i / 10), min=1e-4)
        candidates.append(s / torch.sqrt(s.max() * s.min()))
    losses = [loss(s) for s in candidates]
    np.testing.assert_allclose(_np(best), _np(candidates[int(np.argmin(losses))]), rtol=1e-6)
    # the search never does worse than plain round-to-nearest (ratio 0)
    assert loss(best) <= loss(torch.ones(16))


@pytest.mark.parametrize("group_size", [-1, 4])
def test_quantize_matrix_matches_keras(keras, group_size):
    from keras.src.quantizers import awq as keras_awq

    rng = np.random.default_rng(12)
    w = _weights(rng)
    magnitudes = np.abs(rng.normal(size=16)).astype("float32") * 3
    ours = awq_lib.awq_quantize_matrix(torch.tensor(w), torch.tensor(magnitudes), group_size=group_size)
    ref = keras_awq.awq_quantize_matrix(torch.tensor(w), torch.tensor(magnitudes), group_size=group_size)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6)


def test_activation_magnitudes_match_keras(keras):
    from keras.src.quantizers import awq as keras_awq
    from keras.src.quantizers.awq_config import AWQConfig as KerasAWQConfig

    rng = np.random.default_rng(13)
    layer = keras.layers.Dense(3)
    layer.build((None, 8))
    ref = keras_awq.AWQ(layer, KerasAWQConfig(dataset=None, tokenizer=None))
    ours = awq_lib.AWQ(torch.zeros(8, 3), None)
    batches = [rng.normal(size=(2, 4, 8)).astype("float32"), rng.normal(size=(5, 8)).astype("float32")]
    for batch in batches:
        ref.update_activation_magnitudes(torch.tensor(batch))
        ours.update_activation_magnitudes(torch.tensor(batch))
    np.testing.assert_allclose(_np(ours.activation_magnitudes), _np(ref.activation_magnitudes))
    expected = np.max(np.abs(np.concatenate([b.reshape(-1, 8) for b in batches])), axis=0)
    np.testing.assert_allclose(_np(ours.activation_magnitudes), expected)
    assert ours.num_samples == 13
    with pytest.raises(ValueError, match="empty"):
        ours.update_activation_magnitudes(torch.ones(0, 8))


# ---------------------------------------------------------------------------- model.quantize


@pytest.mark.parametrize("group_size", [8, -1])
def test_model_quantize_matches_keras(keras_with_working_hooks, group_size):
    import warnings

    keras = keras_with_working_hooks
    ref, ours, tokens = twin_models(keras)
    settings = {"num_samples": 6, "sequence_length": 10, "group_size": group_size, "num_grid_points": 8}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns for the embedding it cannot quantize
        ref.quantize("awq", config=keras.quantizers.AWQConfig(dataset(), Tokenizer(), **settings))
    ours.quantize("awq", config=torchkeras.quantizers.AWQConfig(dataset(), Tokenizer(), **settings))
    for mine, theirs in zip(calibrated_layers(ours), calibrated_layers(ref)):
        assert mine.dtype_policy.name == theirs.dtype_policy.name == f"awq/4/{group_size}_from_float32"
        assert theirs.is_awq_calibrated
        np.testing.assert_allclose(_np(mine.awq_scales), _np(theirs.awq_scales), rtol=1e-5)
        np.testing.assert_allclose(_np(mine.kernel_scale), _np(theirs.kernel_scale), rtol=1e-5)
        np.testing.assert_array_equal(_np(mine.kernel_zero), _np(theirs.kernel_zero))
        np.testing.assert_array_equal(_np(mine.quantized_kernel), _np(theirs.quantized_kernel))
        np.testing.assert_array_equal(_np(mine.g_idx), _np(theirs.g_idx))
    # the calibration saw real activations: the scales are not all 1 (Keras 3.15's result)
    assert not np.allclose(_np(ours.blocks[0].up.awq_scales), 1.0)
    np.testing.assert_allclose(_np(ours(tokens)), _np(ref(tokens)), rtol=1e-5, atol=1e-5)


def test_quantized_layout_and_weights_round_trip(tmp_path):
    torchkeras.utils.set_random_seed(4)
    model = lm_class(torchkeras)()
    tokens = np.random.default_rng(18).integers(0, 24, size=(2, 10)).astype("int32")
    before = _np(model(tokens))
    config = torchkeras.quantizers.AWQConfig(dataset(), None, num_samples=4, sequence_length=10, group_size=8)
    model.quantize("awq", config=config)
    down = model.blocks[0].down  # kernel (32, 16)
    assert [w.path.split("/")[-1] for w in down.weights] == [
        "bias", "kernel", "kernel_scale", "kernel_zero", "awq_scales", "g_idx",
    ]  # fmt: skip
    assert down.quantized_kernel.shape == (8, 32) and down.kernel_scale.shape == (16, 4)
    assert down.awq_scales.shape == (32,)
    assert model.blocks[0].query.get_config().get("gptq_unpacked_column_size") is None
    after = _np(model(tokens))
    assert np.max(np.abs(after - before)) < 0.1 * np.max(np.abs(before))
    path = str(tmp_path / "model.weights.h5")
    model.save_weights(path)
    loaded = lm_class(torchkeras)()
    loaded(tokens)
    loaded.quantize("awq", config=config)
    loaded.load_weights(path)
    np.testing.assert_allclose(_np(loaded(tokens)), after, rtol=1e-6, atol=1e-6)


def test_config_and_policy_match_keras(keras):
    config = torchkeras.quantizers.AWQConfig(None, None, group_size=-1, num_grid_points=4)
    reference = keras.quantizers.AWQConfig(None, None, group_size=-1, num_grid_points=4)
    assert config.mode == "awq" and config.get_config() == reference.get_config()
    assert config.dtype_policy_string() == reference.dtype_policy_string() == "awq/4/-1"
    restored = torchkeras.quantizers.deserialize(torchkeras.quantizers.serialize(config))
    assert isinstance(restored, torchkeras.quantizers.AWQConfig) and restored.num_grid_points == 4
    for bad, match in [({"weight_bits": 8}, "4-bit"), ({"num_grid_points": 0}, "num_grid_points"),
                       ({"group_size": -2}, "group_size"), ({"num_samples": 0}, "num_samples")]:  # fmt: skip
        with pytest.raises(ValueError, match=match):
            torchkeras.quantizers.AWQConfig(None, None, **bad)
    policy = torchkeras.dtype_policies.get("awq/4/128_from_float32")
    reference_policy = keras.dtype_policies.get("awq/4/128_from_float32")
    assert isinstance(policy, torchkeras.dtype_policies.AWQDTypePolicy)
    assert torchkeras.dtype_policies.serialize(policy) == keras.dtype_policies.serialize(reference_policy)
    assert (policy.weight_bits, policy.group_size) == (4, 128)
    with pytest.raises(ValueError, match="4-bit"):
        torchkeras.dtype_policies.AWQDTypePolicy("awq/8/128", "float32")
