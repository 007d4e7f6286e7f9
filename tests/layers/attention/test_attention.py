"""Attention: parity with Keras on the same weights (dot/concat, scale, masks, causal, scores),
a reference formula, masks from upstream layers, dropout, errors."""

import numpy as np
import pytest
import torch

import torchkeras as tk
from tests.layer_checks import check_layer
from torchkeras.layers.attention import Attention

RNG = np.random.default_rng(0)


def normal(*shape):
    return RNG.normal(size=shape).astype("float32")


def masks(query_steps, value_steps):
    query_mask = RNG.random((2, query_steps)) > 0.3
    value_mask = RNG.random((2, value_steps)) > 0.3
    value_mask[:, 0] = True
    return [torch.as_tensor(query_mask), torch.as_tensor(value_mask)]


KWARGS = [
    {},
    {"use_scale": True},
    {"score_mode": "concat"},
    {"score_mode": "concat", "use_scale": True},
]
SHAPES = [
    [(2, 4, 3), (2, 5, 3)],
    [(2, 4, 3), (2, 5, 6), (2, 5, 3)],  # separate key; value of another width
]


@pytest.mark.parametrize("kwargs", KWARGS)
@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize(
    "call_kwargs",
    [{}, {"return_attention_scores": True}, {"use_causal_mask": True, "return_attention_scores": True}],
)
def test_parity(keras, kwargs, shapes, call_kwargs):
    check_layer(
        lambda: Attention(**kwargs),
        [normal(*s) for s in shapes],
        lambda: keras.layers.Attention(**kwargs),
        call_kwargs=call_kwargs,
    )


@pytest.mark.parametrize("kwargs", KWARGS)
@pytest.mark.parametrize("use_causal_mask", [False, True])
def test_masks_match_keras(keras, kwargs, use_causal_mask):
    query, value = normal(2, 5, 3), normal(2, 5, 3)
    mask = masks(5, 5)
    ours, theirs = Attention(**kwargs), keras.layers.Attention(**kwargs)
    theirs([query, value])
    ours([query, value])
    ours.set_weights([np.full(w.shape, 0.7, "float32") for w in ours.get_weights()])
    theirs.set_weights(ours.get_weights())
    call = {"mask": mask, "return_attention_scores": True, "use_causal_mask": use_causal_mask}
    for got, want in zip(ours([query, value], **call), theirs([query, value], **call)):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().cpu().numpy(), rtol=1e-5, atol=1e-6)


def test_reference_formula():
    query, value = torch.as_tensor(normal(2, 4, 3)), torch.as_tensor(normal(2, 5, 3))
    query_mask, value_mask = masks(4, 5)
    output, scores = Attention()([query, value], mask=[query_mask, value_mask], return_attention_scores=True)
    logits = query @ value.transpose(1, 2) - 1e9 * (~value_mask[:, None]).float()
    expected_scores = torch.softmax(logits, -1)
    expected = (expected_scores @ value) * query_mask[..., None]
    torch.testing.assert_close(scores, expected_scores)
    torch.testing.assert_close(output, expected)


def test_masks_from_embedding_match_keras(keras):
    ids = RNG.integers(1, 7, size=(3, 5))
    ids[0, 3:] = 0
    ids[1, 1:] = 0

    def build(lib, attention):
        token_ids = lib.Input((5,), dtype="int32")
        x = lib.layers.Embedding(7, 4, mask_zero=True)(token_ids)
        return lib.Model(token_ids, attention([x, x]))

    ours, theirs = build(tk, Attention(use_scale=True)), build(keras, keras.layers.Attention(use_scale=True))
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(
        ours(torch.as_tensor(ids)).detach().numpy(),
        theirs(torch.as_tensor(ids)).detach().cpu().numpy(),
        rtol=1e-5,
    )
    embedded = tk.layers.Embedding(7, 4, mask_zero=True)(torch.as_tensor(ids))
    output = Attention()([embedded, embedded])
    np.testing.assert_array_equal(output._keras_mask.numpy(), ids != 0)  # the query's mask goes on
    np.testing.assert_array_equal(output[0, 3:].detach().numpy(), 0.0)


def test_dropout_and_config(keras):
    query = torch.as_tensor(normal(2, 4, 3))
    layer = Attention(dropout=0.5, seed=1)
    inference = layer([query, query])
    torch.testing.assert_close(layer([query, query], training=False), inference)
    _, scores = layer([query, query], training=True, return_attention_scores=True)
    np.testing.assert_allclose(scores.sum(-1).detach().numpy(), 1.0, rtol=1e-5)
    assert not torch.allclose(layer([query, query], training=True), inference)
    kwargs = {"use_scale": True, "score_mode": "concat", "dropout": 0.2, "seed": 3}
    assert (
        Attention(name="a", **kwargs).get_config() == keras.layers.Attention(name="a", **kwargs).get_config()
    )


def test_errors():
    with pytest.raises(ValueError, match="score_mode.*Did you mean 'concat'"):
        Attention(score_mode="conact")
    with pytest.raises(ValueError, match="dropout"):
        Attention(dropout=1.5)
    layer = Attention(name="att")
    with pytest.raises(ValueError, match="Attention 'att'.*`inputs` must be a list"):
        layer(torch.ones(2, 4, 3))
    with pytest.raises(ValueError, match="`inputs` must be a list"):
        layer([torch.ones(2, 4, 3)])
    with pytest.raises(ValueError, match="`query` must have rank >= 3"):
        Attention()([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match="same last dimension"):
        Attention()([torch.ones(2, 4, 3), torch.ones(2, 5, 4)])
    with pytest.raises(ValueError, match="same number of steps"):
        Attention()([torch.ones(2, 4, 3), torch.ones(2, 5, 3), torch.ones(2, 6, 3)])
    with pytest.raises(ValueError, match="`mask` must be a list"):
        Attention()([torch.ones(2, 4, 3), torch.ones(2, 5, 3)], mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="`value_mask` must have shape \\(2, 5\\)"):
        Attention()(
            [torch.ones(2, 4, 3), torch.ones(2, 5, 3)], mask=[None, torch.ones(2, 4, dtype=torch.bool)]
        )
