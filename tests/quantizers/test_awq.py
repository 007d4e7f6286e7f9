"""AWQ: the scale search and the quantization against Keras's internal functions on the same
tensors, then `model.quantize("awq", ...)` end to end.

Keras 3.15.1 hooks `layer.call` to see the layers' inputs, which a quantized layer never runs:
its activation magnitudes stay zero and every AWQ scale comes out 1. torchkeras calibrates on the
real inputs; the tests say where they rely on that.
"""

import numpy as np
import pytest
import torch

from torchkeras.quantizers import awq as awq_lib
from torchkeras.quantizers import zero_point


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
