"""GroupedQueryAttention: parity with Keras on the same weights, equivalence with
MultiHeadAttention when every query head has its own key/value head, masks, errors."""

import numpy as np
import pytest
import torch

import torchkeras as tk
from tests.layers.attention.attention_checks import check_attention
from torchkeras.layers.attention import GroupedQueryAttention, GroupQueryAttention, MultiHeadAttention
from torchkeras.utils.registry import get_registered_object

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
        ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, [(2, 4, 5), (2, 4, 5)], {}),
        ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 1}, [(2, 4, 5), (2, 6, 5)], {}),
        (
            {"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 2},
            [(2, 4, 5), (2, 6, 5), (2, 6, 3)],
            {},
        ),
        (
            {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
            [(2, 4, 5), (2, 6, 5)],
            {"return_attention_scores": True},
        ),
        (
            {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
            [(2, 5, 5)] * 2,
            {"use_causal_mask": True},
        ),
        (
            {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
            [(2, 4, 5), (2, 6, 5)],
            {"attention_mask": random_mask(2, 4, 6)},
        ),
        (
            {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
            [(2, 5, 5)] * 2,
            {
                "attention_mask": random_mask(2, 5, 5),
                "use_causal_mask": True,
                "return_attention_scores": True,
            },
        ),
        (
            {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "use_bias": False},
            [(2, 4, 5)] * 2,
            {},
        ),
        (
            {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "use_gate": True},
            [(2, 4, 5)] * 2,
            {},
        ),
        (
            {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "sliding_window": 2},
            [(2, 5, 5)] * 2,
            {"use_causal_mask": True},
        ),
        (
            {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "dropout": 0.3},
            [(2, 4, 5)] * 2,
            {},
        ),
    ],
)
def test_parity(keras, kwargs, shapes, call_kwargs):
    check_attention(
        lambda: GroupedQueryAttention(**kwargs),
        [normal(*s) for s in shapes],
        lambda: keras.layers.GroupQueryAttention(**kwargs),
        call_kwargs,
    )


@pytest.mark.filterwarnings("ignore:Layer .* does not support masking:UserWarning")  # Keras's own sublayers
def test_padding_masks_from_embedding_match_keras(keras):
    ids = RNG.integers(1, 9, size=(3, 6))
    ids[0, 4:] = 0

    def build(lib, layer):
        token_ids = lib.Input((6,), dtype="int32")
        x = lib.layers.Embedding(9, 4, mask_zero=True)(token_ids)
        return lib.Model(token_ids, layer(x, x))

    ours = build(tk, GroupedQueryAttention(2, 4, 2))
    theirs = build(keras, keras.layers.GroupQueryAttention(2, 4, 2))
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(
        ours(torch.as_tensor(ids)).detach().numpy(),
        theirs(torch.as_tensor(ids)).detach().cpu().numpy(),
        rtol=1e-5,
        atol=1e-5,
    )


def test_equals_multi_head_attention_with_one_kv_head_per_query_head():
    query, value = torch.as_tensor(normal(2, 4, 5)), torch.as_tensor(normal(2, 6, 5))
    gqa, mha = GroupedQueryAttention(3, 2, 2, bias_initializer="random_normal"), MultiHeadAttention(2, 3)
    gqa(query, value)
    mha(query, value)
    mha.set_weights(gqa.get_weights())
    torch.testing.assert_close(
        gqa(query, value, use_causal_mask=True), mha(query, value, use_causal_mask=True)
    )


def test_grouped_heads_share_keys_and_values():
    # Repeating the key/value heads turns a grouped layer into a 4-head MultiHeadAttention.
    query = torch.as_tensor(normal(2, 4, 5))
    gqa = GroupedQueryAttention(3, 4, 2)
    output, scores = gqa(query, query, return_attention_scores=True)
    qk, qb, kk, kb, vk, vb, ok, ob = gqa.get_weights()
    mha = MultiHeadAttention(4, 3)
    mha(query, query)
    mha.set_weights([qk, qb, *(np.repeat(w, 2, axis=-2) for w in (kk, kb, vk, vb)), ok, ob])
    expected, expected_scores = mha(query, query, return_attention_scores=True)
    torch.testing.assert_close(output, expected)
    torch.testing.assert_close(scores, expected_scores)
    torch.testing.assert_close(gqa(query, query), expected, rtol=1e-5, atol=1e-6)  # the fused path


def test_alias_config_and_registration(keras):
    assert GroupQueryAttention is GroupedQueryAttention
    assert get_registered_object("GroupQueryAttention") is GroupedQueryAttention
    assert get_registered_object("GroupedQueryAttention") is GroupedQueryAttention
    kwargs = {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "dropout": 0.1, "seed": 2}
    assert (
        GroupedQueryAttention(name="g", **kwargs).get_config()
        == keras.layers.GroupQueryAttention(name="g", **kwargs).get_config()
    )


def test_errors():
    with pytest.raises(ValueError, match="num_key_value_heads"):
        GroupedQueryAttention(3, 4, 3)
    with pytest.raises(ValueError, match="head_dim"):
        GroupedQueryAttention(0, 4, 2)
    with pytest.raises(ValueError, match="num_query_heads"):
        GroupedQueryAttention(3, -4, 2)
    with pytest.raises(ValueError, match="sliding_window"):
        GroupedQueryAttention(3, 4, 2, sliding_window=0)
    layer = GroupedQueryAttention(3, 4, 2, name="gqa")
    with pytest.raises(ValueError, match="GroupedQueryAttention 'gqa'.*`query` must have rank 3"):
        layer(torch.ones(2, 3, 4, 5), torch.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="last dimension of `query` and `value`"):
        layer(torch.ones(2, 4, 5), torch.ones(2, 4, 6))
    layer(torch.ones(2, 4, 5), torch.ones(2, 6, 5))
    with pytest.raises(ValueError, match="`attention_mask`"):
        layer(torch.ones(2, 4, 5), torch.ones(2, 6, 5), attention_mask=torch.ones(2, 6, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="`value_mask`"):
        layer(torch.ones(2, 4, 5), torch.ones(2, 6, 5), value_mask=torch.ones(2, 4, dtype=torch.bool))
