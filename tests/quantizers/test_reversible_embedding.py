"""`ReversibleEmbedding.quantize`: Keras's int8 / int4 forward and reverse numbers, weights, files."""

import os

import numpy as np
import pytest
import torch

import torchkeras


@pytest.mark.parametrize("tie_weights", [True, False])
@pytest.mark.parametrize("mode, block_size", [("int8", None), ("int4", None), ("int4", -1), ("int4", 3)])
def test_reversible_embedding_quantize_matches_keras(keras, tmp_path, tie_weights, mode, block_size):
    rng = np.random.default_rng(0)
    ids = np.array([[1, 2, 3, 9]])
    hidden = rng.normal(size=(2, 7)).astype("float32")
    results = []
    for lib in (keras, torchkeras):
        layer = lib.layers.ReversibleEmbedding(10, 7, tie_weights=tie_weights)
        layer.build((None, 4))
        if lib is keras:
            weights = [
                np.random.default_rng(1).normal(size=tuple(v.shape)).astype("float32") for v in layer.weights
            ]
        layer.set_weights(weights)
        if block_size is None:
            layer.quantize(mode)
        else:
            layer.quantize(config=lib.quantizers.Int4QuantizationConfig(block_size=block_size))
        forward = np.asarray(layer(torch.tensor(ids)).detach())
        reverse = np.asarray(layer(torch.tensor(hidden), reverse=True).detach())
        results.append((layer, forward, reverse))
    (ref, ref_forward, ref_reverse), (ours, forward, reverse) = results
    np.testing.assert_allclose(forward, ref_forward, atol=1e-6)
    np.testing.assert_allclose(reverse, ref_reverse, atol=1e-5)
    assert [tuple(v.shape) for v in ours.weights] == [tuple(v.shape) for v in ref.weights]
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))
    assert ours.dtype_policy.name == ref.dtype_policy.name
    inputs = torchkeras.Input((4,), dtype="int32")
    model = torchkeras.Model(inputs, ours(inputs))
    path = os.path.join(tmp_path, "rev.keras")
    model.save(path)
    expected = model.predict(ids, verbose=0)
    np.testing.assert_allclose(np.asarray(keras.saving.load_model(path).predict(ids, verbose=0)), expected)
    reloaded = torchkeras.saving.load_model(path).layers[-1]
    np.testing.assert_allclose(reloaded(torch.tensor(hidden), reverse=True).detach().numpy(), reverse)


def test_quantized_reverse_inputs_gradient():
    layer = torchkeras.layers.ReversibleEmbedding(6, 4)
    layer.build((None, 2))
    layer.quantize("int8")
    hidden = torch.randn(3, 4, generator=torch.Generator().manual_seed(0), requires_grad=True)
    layer(hidden, reverse=True).sum().backward()
    float_kernel = layer.embeddings.t().float() / layer.embeddings_scale
    torch.testing.assert_close(hidden.grad, float_kernel.sum(1).expand(3, 4))
