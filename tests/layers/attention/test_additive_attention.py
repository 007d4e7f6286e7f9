"""AdditiveAttention: parity with Keras on the same weights, masks, a reference formula, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.attention import AdditiveAttention

RNG = np.random.default_rng(0)


def normal(*shape):
    return RNG.normal(size=shape).astype("float32")


@pytest.mark.parametrize("use_scale", [True, False])
@pytest.mark.parametrize("shapes", [[(2, 4, 3), (2, 5, 3)], [(2, 4, 3), (2, 5, 6), (2, 5, 3)]])
@pytest.mark.parametrize("call_kwargs", [{}, {"return_attention_scores": True, "use_causal_mask": True}])
def test_parity(keras, use_scale, shapes, call_kwargs):
    check_layer(
        lambda: AdditiveAttention(use_scale=use_scale),
        [normal(*s) for s in shapes],
        lambda: keras.layers.AdditiveAttention(use_scale=use_scale),
        call_kwargs=call_kwargs,
    )


def test_masks_match_keras_and_reference(keras):
    query, value = normal(2, 4, 3), normal(2, 5, 3)
    query_mask, value_mask = RNG.random((2, 4)) > 0.3, RNG.random((2, 5)) > 0.3
    value_mask[:, 0] = True
    mask = [torch.as_tensor(query_mask), torch.as_tensor(value_mask)]
    ours, theirs = AdditiveAttention(), keras.layers.AdditiveAttention()
    theirs([query, value])
    ours([query, value])
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    got = ours([query, value], mask=mask, return_attention_scores=True)
    want = theirs([query, value], mask=mask, return_attention_scores=True)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().cpu().numpy(), rtol=1e-5, atol=1e-6)
    (scale,) = ours.get_weights()
    logits = (scale * np.tanh(query[:, :, None] + value[:, None])).sum(-1) - 1e9 * ~value_mask[:, None]
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    np.testing.assert_allclose(got[1].detach().numpy(), probabilities, rtol=1e-5, atol=1e-6)
    expected = probabilities @ value * query_mask[..., None]
    np.testing.assert_allclose(got[0].detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_config_and_weights(keras):
    ours = AdditiveAttention(dropout=0.1, name="add", seed=5)
    theirs = keras.layers.AdditiveAttention(dropout=0.1, name="add", seed=5)
    assert ours.get_config() == theirs.get_config()
    ours.build([(None, 4, 3), (None, 5, 3)])
    assert [w.shape for w in ours.get_weights()] == [(3,)]


def test_errors():
    layer = AdditiveAttention(name="add")
    with pytest.raises(ValueError, match="AdditiveAttention 'add'.*`inputs` must be a list"):
        layer(torch.ones(2, 4, 3))
    with pytest.raises(ValueError, match="same last dimension"):
        AdditiveAttention()([torch.ones(2, 4, 3), torch.ones(2, 5, 4)])
