"""torchkeras.ops.math: logsumexp, top_k, in_top_k, erf, erfinv, rsqrt against keras.ops."""

import numpy as np
import pytest
import torch

from torchkeras import ops

rng = np.random.default_rng(3)
A = torch.as_tensor(rng.standard_normal((2, 3, 4)).astype("float32"))
SCORES = torch.tensor([[0.1, 0.5, 0.4, 0.5], [3.0, 1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
TARGETS = torch.tensor([3, 2, 1])


def case(name, *args, **kwargs):
    label = "-".join([name, *(f"{k}={v}" for k, v in kwargs.items())])
    return pytest.param(name, args, kwargs, id=label)


CASES = [
    case("logsumexp", A),
    case("logsumexp", A, axis=1),
    case("logsumexp", A, axis=(0, 2), keepdims=True),
    case("top_k", A, 2),
    case("top_k", SCORES, 3, sorted=True),
    case("in_top_k", TARGETS, SCORES, 1),
    case("in_top_k", TARGETS, SCORES, 2),
    case("in_top_k", TARGETS, SCORES, 3),
    case("erf", A),
    case("erfinv", torch.tanh(A)),
    case("rsqrt", torch.abs(A) + 0.1),
]


@pytest.mark.parametrize("name, args, kwargs", CASES)
def test_parity_with_keras(keras, name, args, kwargs):
    expected = getattr(keras.ops, name)(*args, **kwargs)
    result = getattr(ops, name)(*args, **kwargs)
    for got, want in zip(*(v if isinstance(v, tuple) else (v,) for v in (result, expected))):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_top_k_unpacks_as_values_and_indices():
    values, indices = ops.top_k([3.0, 1.0, 2.0], 2)
    assert values.tolist() == [3.0, 2.0] and indices.tolist() == [0, 2]


def test_in_top_k_counts_ties_in():
    # the target ties with the best score: it is in the top 1, as in Keras
    assert ops.in_top_k(torch.tensor([1]), torch.tensor([[0.5, 0.5, 0.0]]), 1).tolist() == [True]
