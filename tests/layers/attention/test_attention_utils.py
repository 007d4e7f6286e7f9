"""Attention helpers: masks against their definitions, the masked softmax and the fused kernel
against reference formulas."""

import numpy as np
import pytest
import torch

from torchkeras.layers.attention import attention_utils as attention
from torchkeras.layers.attention.attention_utils import attention_equations, projection_equation

RNG = np.random.default_rng(0)


def test_causal_and_sliding_window_masks():
    causal = attention.causal_mask(3, 4, torch.device("cpu"))
    expected = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0]], bool)[None]
    np.testing.assert_array_equal(causal.numpy(), expected)
    band = attention.sliding_window_mask(4, 4, 2, torch.device("cpu"))[0].numpy()
    rows, columns = np.indices((4, 4))
    np.testing.assert_array_equal(band, np.abs(rows - columns) < 2)


def test_merge_masks_combines_every_source_with_and():
    query, value = torch.zeros(2, 3, 1), torch.zeros(2, 4, 1)
    query_mask = torch.tensor([[1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    value_mask = torch.tensor([[1, 1, 1, 0], [1, 0, 1, 1]], dtype=torch.bool)
    attention_mask = torch.as_tensor(RNG.random((2, 3, 4)) > 0.3)
    merged = attention.merge_masks(query, value, query_mask, value_mask, None, attention_mask, True, None)
    expected = (
        attention_mask & query_mask[:, :, None] & value_mask[:, None, :] & torch.ones(3, 4).tril().bool()
    )
    torch.testing.assert_close(merged, expected)
    assert attention.merge_masks(query, value, None, None, None, None, False, None) is None


def test_masked_softmax_reference():
    scores = torch.as_tensor(RNG.normal(size=(2, 3, 4)).astype("float32"))
    mask = torch.as_tensor(RNG.random((2, 3, 4)) > 0.4)
    mask[0, 1] = False  # a fully masked row gives zeros
    got = attention.masked_softmax(scores, mask, (-1,))
    exp = torch.exp(scores - scores.max(-1, keepdim=True).values) * mask
    expected = exp / exp.sum(-1, keepdim=True).clamp_min(1e-30)
    torch.testing.assert_close(got, expected)
    both = attention.masked_softmax(scores, None, (-2, -1))
    torch.testing.assert_close(both.sum((-2, -1)), torch.ones(2))


@pytest.mark.parametrize("enable_gqa", [False, True])
def test_fused_attention_matches_the_explicit_formula(enable_gqa):
    query = torch.as_tensor(RNG.normal(size=(2, 5, 4, 3)).astype("float32"))
    kv_heads = 2 if enable_gqa else 4
    key, value = (torch.as_tensor(RNG.normal(size=(2, 6, kv_heads, 3)).astype("float32")) for _ in range(2))
    mask = torch.as_tensor(RNG.random((2, 1, 5, 6)) > 0.3)
    mask[..., 0] = True
    got = attention.scaled_dot_product_attention(query, key, value, mask, 0.5, enable_gqa=enable_gqa)
    repeat = 4 // kv_heads
    k, v = (t.repeat_interleave(repeat, dim=2).transpose(1, 2) for t in (key, value))
    probabilities = attention.masked_softmax(query.transpose(1, 2) @ k.transpose(-1, -2) * 0.5, mask, (-1,))
    torch.testing.assert_close(got, (probabilities @ v).transpose(1, 2), rtol=1e-5, atol=1e-6)


def test_equations():
    assert projection_equation(2, 1, 2) == ("abc,cde->abde", "de")
    assert projection_equation(2, 2, 1) == ("abcd,cde->abe", "e")
    assert attention_equations(4, (1,)) == ("aecd,abcd->acbe", "acbe,aecd->abcd", 4)
    assert attention_equations(5, (1, 2)) == ("afgde,abcde->adbcfg", "adbcfg,afgde->abcde", 6)
