"""MultiHeadAttention: parity with Keras on the same weights (self/cross attention, masks,
scores, output shapes, attention axes), a reference formula, padding masks, dropout, errors."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

import torchkeras as tk
import torchkeras.layers.attention as attention_layers
from tests.layers.attention.attention_checks import check_attention
from torchkeras.layers.attention import MultiHeadAttention
from torchkeras.layers.core.einsum_dense import EinsumDense
from torchkeras.layers.core.embedding import Embedding

RNG = np.random.default_rng(0)


def normal(*shape):
    return RNG.normal(size=shape).astype("float32")


def random_mask(*shape):
    mask = RNG.random(shape) > 0.4
    mask[..., 0] = True
    return mask


@pytest.mark.parametrize(
    ("kwargs", "shapes", "call_kwargs"),
    [
        ({"num_heads": 2, "key_dim": 3}, [(2, 4, 5), (2, 4, 5)], {}),  # self-attention
        ({"num_heads": 2, "key_dim": 3}, [(2, 4, 5), (2, 6, 7)], {}),  # cross-attention
        ({"num_heads": 3, "key_dim": 2, "value_dim": 4}, [(2, 4, 5), (2, 6, 7), (2, 6, 3)], {}),
        ({"num_heads": 2, "key_dim": 3}, [(2, 4, 5), (2, 6, 7)], {"return_attention_scores": True}),
        ({"num_heads": 2, "key_dim": 3}, [(2, 5, 5), (2, 5, 5)], {"use_causal_mask": True}),
        (
            {"num_heads": 2, "key_dim": 3},
            [(2, 5, 5), (2, 5, 5)],
            {"use_causal_mask": True, "return_attention_scores": True},
        ),
        ({"num_heads": 2, "key_dim": 3}, [(2, 4, 5), (2, 6, 7)], {"attention_mask": random_mask(2, 4, 6)}),
        (
            {"num_heads": 2, "key_dim": 3},
            [(2, 4, 5), (2, 6, 7)],
            {"attention_mask": random_mask(2, 4, 6), "return_attention_scores": True},
        ),
        (
            {"num_heads": 2, "key_dim": 3},
            [(2, 4, 5), (2, 4, 5)],
            {"attention_mask": random_mask(2, 4, 4), "use_causal_mask": True},
        ),
        ({"num_heads": 2, "key_dim": 3, "output_shape": 7}, [(2, 4, 5), (2, 6, 7)], {}),
        ({"num_heads": 2, "key_dim": 3, "output_shape": (3, 2)}, [(2, 4, 5), (2, 6, 7)], {}),
        (
            {"num_heads": 2, "key_dim": 3, "use_bias": False, "kernel_initializer": "he_normal"},
            [(2, 4, 5)] * 2,
            {},
        ),
        ({"num_heads": 2, "key_dim": 3, "bias_initializer": "random_normal"}, [(2, 4, 5)] * 2, {}),
        ({"num_heads": 2, "key_dim": 3, "attention_axes": 2}, [(2, 3, 4, 5)] * 2, {}),
        ({"num_heads": 2, "key_dim": 3, "attention_axes": (1, 2)}, [(2, 3, 4, 5)] * 2, {}),
        (
            {"num_heads": 2, "key_dim": 3, "attention_axes": [-2]},
            [(2, 3, 4, 5)] * 2,
            {"return_attention_scores": True},
        ),
        ({"num_heads": 2, "key_dim": 3}, [(2, 3, 4, 5)] * 2, {"attention_mask": random_mask(2, 3, 4, 3, 4)}),
        ({"num_heads": 2, "key_dim": 3, "use_gate": True}, [(2, 4, 5), (2, 6, 7)], {}),
        ({"num_heads": 2, "key_dim": 3, "sliding_window": 2}, [(2, 5, 5)] * 2, {"use_causal_mask": True}),
        ({"num_heads": 2, "key_dim": 3, "dropout": 0.3}, [(2, 4, 5), (2, 6, 7)], {}),
    ],
)
def test_parity(keras, kwargs, shapes, call_kwargs):
    arrays = [normal(*s) for s in shapes]
    check_attention(
        lambda: MultiHeadAttention(**kwargs),
        arrays,
        lambda: keras.layers.MultiHeadAttention(**kwargs),
        call_kwargs,
    )


@pytest.mark.parametrize("return_attention_scores", [False, True])
def test_fully_masked_rows_match_keras_on_both_paths(keras, return_attention_scores):
    # A query row that may attend nothing: the fused kernel averages the values uniformly, the
    # explicit softmax gives zeros; Keras takes one path or the other and so do we.
    mask = random_mask(2, 4, 6)
    mask[0, 1] = False
    check_attention(
        lambda: MultiHeadAttention(2, 3),
        [normal(2, 4, 5), normal(2, 6, 7)],
        lambda: keras.layers.MultiHeadAttention(2, 3),
        {"attention_mask": mask, "return_attention_scores": return_attention_scores},
    )


def test_reference_formula():
    query, value = torch.as_tensor(normal(2, 4, 5)), torch.as_tensor(normal(2, 6, 7))
    mask = torch.as_tensor(random_mask(2, 4, 6))
    layer = MultiHeadAttention(2, 3, value_dim=4, bias_initializer="random_normal")
    output, scores = layer(query, value, attention_mask=mask, return_attention_scores=True)
    fused = layer(query, value, attention_mask=mask)
    qk, qb, kk, kb, vk, vb, ok, ob = (torch.as_tensor(w) for w in layer.get_weights())
    q = torch.einsum("btd,dnh->bnth", query, qk) + qb[:, None]
    k = torch.einsum("bsd,dnh->bnsh", value, kk) + kb[:, None]
    v = torch.einsum("bsd,dnh->bnsh", value, vk) + vb[:, None]
    logits = (q @ k.transpose(-1, -2)) / np.sqrt(3) + torch.where(mask[:, None], 0.0, -1e9)
    probabilities = torch.softmax(logits, -1)
    expected = torch.einsum("bnth,nhd->btd", probabilities @ v, ok) + ob
    np.testing.assert_allclose(scores.detach().numpy(), probabilities.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(output.detach().numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fused.detach().numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_weights_layout_and_order_match_keras(keras):
    ours = MultiHeadAttention(2, 3, value_dim=4, use_gate=True)
    ours(torch.ones(1, 4, 5), torch.ones(1, 6, 7))
    theirs = keras.layers.MultiHeadAttention(2, 3, value_dim=4, use_gate=True)
    theirs(np.ones((1, 4, 5), "float32"), np.ones((1, 6, 7), "float32"))
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert [w.shape for w in ours.get_weights()][:2] == [(5, 2, 3), (2, 3)]
    assert ours.count_params() == theirs.count_params()


def test_config_matches_keras(keras):
    kwargs = {
        "num_heads": 2,
        "key_dim": 3,
        "output_shape": 7,
        "dropout": 0.1,
        "seed": 4,
        "kernel_regularizer": "l2",
    }
    ours, theirs = MultiHeadAttention(name="m", **kwargs), keras.layers.MultiHeadAttention(name="m", **kwargs)
    assert ours.get_config() == theirs.get_config()
    ours(torch.ones(1, 4, 5), torch.ones(1, 4, 5))
    theirs(np.ones((1, 4, 5), "float32"), np.ones((1, 4, 5), "float32"))
    assert ours.get_config() == theirs.get_config()  # attention_axes resolved to (1,) at build


def test_padding_masks_from_embedding_match_keras(keras):
    ids = RNG.integers(1, 9, size=(3, 6))
    ids[0, 4:] = 0
    ids[2, 2:] = 0
    other = RNG.integers(1, 9, size=(3, 5))
    other[1, 3:] = 0

    def build(lib, mha):
        query_ids, value_ids = lib.Input((6,), dtype="int32"), lib.Input((5,), dtype="int32")
        embedding = lib.layers.Embedding(9, 5, mask_zero=True)
        query, value = embedding(query_ids), embedding(value_ids)
        self_attended = mha[0](query, query)
        cross_attended = mha[1](self_attended, value, return_attention_scores=True)
        return lib.Model([query_ids, value_ids], [self_attended, *cross_attended])

    ours = build(tk, [MultiHeadAttention(2, 3), MultiHeadAttention(2, 4, dropout=0.2)])
    theirs = build(
        keras, [keras.layers.MultiHeadAttention(2, 3), keras.layers.MultiHeadAttention(2, 4, dropout=0.2)]
    )
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    inputs = [torch.as_tensor(ids), torch.as_tensor(other)]
    for got, want in zip(ours(inputs), theirs(inputs)):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().cpu().numpy(), rtol=1e-5, atol=1e-5)
    # Eagerly, the masks travel on the embedded tensors, and the output carries the query's mask.
    embedding = Embedding(9, 5, mask_zero=True)
    query = embedding(torch.as_tensor(ids))
    output = MultiHeadAttention(2, 3)(query, query)
    np.testing.assert_array_equal(output._keras_mask.numpy(), ids != 0)
    explicit = MultiHeadAttention(2, 3)
    masked = explicit(query, query)
    unmasked_query = query.detach().clone()
    same = explicit(unmasked_query, unmasked_query, query_mask=ids != 0, value_mask=ids != 0)
    np.testing.assert_allclose(masked.detach().numpy(), same.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_dropout_on_attention_probabilities():
    query = torch.as_tensor(normal(2, 4, 5))
    layer = MultiHeadAttention(2, 3, dropout=0.5, seed=7)
    inference = layer(query, query)
    torch.testing.assert_close(layer(query, query, training=False), inference)
    _, scores = layer(query, query, return_attention_scores=True, training=True)
    np.testing.assert_allclose(scores.sum(-1).detach().numpy(), 1.0, rtol=1e-5)  # scores are pre-dropout
    first, second = layer(query, query, training=True), layer(query, query, training=True)
    assert not torch.allclose(first, inference) and not torch.allclose(first, second)
    again = MultiHeadAttention(2, 3, dropout=0.5, seed=7)
    again(query, query)
    again.set_weights(layer.get_weights())
    again(query, query, return_attention_scores=True, training=True)
    torch.testing.assert_close(again(query, query, training=True), first)  # the seed fixes the draws
    # Without a seed, unmasked training goes through the fused kernel's dropout.
    unseeded = MultiHeadAttention(2, 3, dropout=0.5)
    unseeded(query, query)
    unseeded.set_weights(layer.get_weights())
    assert not torch.allclose(unseeded(query, query, training=True), inference)


def test_gradients_flow_to_every_weight():
    query = torch.as_tensor(normal(2, 4, 5))
    layer = MultiHeadAttention(2, 3)
    layer(query, query, use_causal_mask=True).sum().backward()
    assert all(w.grad is not None and torch.isfinite(w.grad).all() for w in layer.trainable_weights)
    assert len(layer.trainable_weights) == 8


def test_regularizers_reach_the_projections():
    layer = MultiHeadAttention(2, 3, kernel_regularizer="l2", bias_regularizer="l1")
    layer(torch.ones(1, 4, 5), torch.ones(1, 4, 5))
    assert len(layer.losses) == 8


def test_errors():
    with pytest.raises(ValueError, match="num_heads"):
        MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match="key_dim"):
        MultiHeadAttention(2, -1)
    with pytest.raises(ValueError, match="value_dim"):
        MultiHeadAttention(2, 3, value_dim=0)
    with pytest.raises(ValueError, match="attention_axes"):
        MultiHeadAttention(2, 3, attention_axes="1")
    with pytest.raises(ValueError, match="dropout"):
        MultiHeadAttention(2, 3, dropout=0.1, flash_attention=True)
    layer = MultiHeadAttention(2, 3, name="mha")
    with pytest.raises(ValueError, match="MultiHeadAttention 'mha'.*`query` must have rank >= 3"):
        layer(torch.ones(2, 5), torch.ones(2, 5))
    with pytest.raises(ValueError, match="`value` must have the query's rank"):
        MultiHeadAttention(2, 3)(torch.ones(2, 4, 5), torch.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="`value` and `key`"):
        MultiHeadAttention(2, 3)(torch.ones(2, 4, 5), torch.ones(2, 6, 5), torch.ones(2, 5, 5))
    with pytest.raises(ValueError, match="attention_axes"):
        MultiHeadAttention(2, 3, attention_axes=3)(torch.ones(2, 3, 4, 5), torch.ones(2, 3, 4, 5))
    layer(torch.ones(2, 4, 5), torch.ones(2, 6, 7))
    with pytest.raises(ValueError, match="`query` must have last dimension 5"):
        layer(torch.ones(2, 4, 6), torch.ones(2, 6, 7))
    with pytest.raises(ValueError, match="`value` must have last dimension 7"):
        layer(torch.ones(2, 4, 5), torch.ones(2, 6, 5))
    with pytest.raises(ValueError, match="`attention_mask` must have a shape broadcastable to \\(2, 4, 6\\)"):
        layer(torch.ones(2, 4, 5), torch.ones(2, 6, 7), attention_mask=torch.ones(2, 6, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="`value_mask`"):
        layer(torch.ones(2, 4, 5), torch.ones(2, 6, 7), value_mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="`query_mask`"):
        layer(torch.ones(2, 4, 5), torch.ones(2, 6, 7), query_mask=torch.ones(2, 6, dtype=torch.bool))
    flash = MultiHeadAttention(2, 3, flash_attention=True)
    with pytest.raises(ValueError, match="attention scores"):
        flash(torch.ones(1, 4, 5), torch.ones(1, 4, 5), return_attention_scores=True)


def test_keras_archive_of_attention_layers_loads_with_the_same_outputs(keras, tmp_path):
    def build(lib, layers):
        inputs = lib.Input((4, 5))
        x = layers.MultiHeadAttention(2, 3)(inputs, inputs, use_causal_mask=True)
        x = layers.GroupQueryAttention(2, 4, 2)(x, x)
        x = layers.Attention(use_scale=True)([x, x])
        x = layers.AdditiveAttention()([x, x])
        return lib.Model(inputs, layers.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d")(x))

    ours_layers = SimpleNamespace(
        EinsumDense=EinsumDense, **{n: getattr(attention_layers, n) for n in attention_layers.__all__}
    )

    x = normal(2, 4, 5)
    theirs = build(keras, keras.layers)
    theirs.save(tmp_path / "keras.keras")
    loaded = tk.models.load_model(tmp_path / "keras.keras")
    expected = theirs(x).detach().cpu().numpy()
    np.testing.assert_allclose(loaded(torch.as_tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    ours = build(tk, ours_layers)
    ours.save(tmp_path / "ours.keras")
    again = tk.models.load_model(tmp_path / "ours.keras")
    torch.testing.assert_close(again(torch.as_tensor(x)), ours(torch.as_tensor(x)))
