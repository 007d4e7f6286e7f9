"""torchkeras.ops.nn: activations, one-hot, cross-entropies, moments and normalize against keras.ops."""

import numpy as np
import pytest
import torch

from torchkeras import ops

rng = np.random.default_rng(2)
A = torch.as_tensor(rng.standard_normal((2, 3, 4)).astype("float32") * 3)
LOGITS = torch.as_tensor(rng.standard_normal((5, 4)).astype("float32"))
PROBS = torch.softmax(LOGITS, -1)
ONE_HOT = torch.eye(4)[torch.tensor([0, 3, 1, 1, 2])]
LABELS = torch.tensor([0, 3, 1, 1, 2])
BINARY = torch.as_tensor((rng.random((5, 3)) > 0.5).astype("float32"))
SCORES = torch.as_tensor(rng.standard_normal((5, 3)).astype("float32"))
HALF = torch.as_tensor(rng.standard_normal((4, 6)).astype("float16"))


def case(name, *args, **kwargs):
    label = "-".join([name, *(f"{k}={v}" for k, v in kwargs.items())])
    return pytest.param(name, args, kwargs, id=label)


CASES = [
    *(
        case(name, A)
        for name in (
            "relu",
            "relu6",
            "sigmoid",
            "log_sigmoid",
            "softplus",
            "softsign",
            "silu",
            "swish",
            "elu",
            "selu",
            "leaky_relu",
            "hard_sigmoid",
            "hard_silu",
            "hard_swish",
            "gelu",
            "softmax",
            "log_softmax",
        )
    ),  # fmt: skip
    case("relu", torch.tensor([-2, 0, 3])),
    case("elu", A, alpha=0.5),
    case("leaky_relu", A, negative_slope=0.01),
    case("gelu", A, approximate=False),
    case("softmax", A, axis=1),
    case("softmax", A, axis=(0, 2)),
    case("softmax", A, axis=None),
    case("softmax", HALF),
    case("log_softmax", A, axis=0),
    case("log_softmax", A, axis=(1, 2)),
    case("one_hot", LABELS, 4),
    case("one_hot", torch.tensor([[0, -1], [2, 1]]), 3, axis=0),
    case("one_hot", torch.tensor([[0, 2], [2, 1]]), 3, axis=1, dtype="int32"),
    case("one_hot", [1, 0], 2),
    case("binary_crossentropy", BINARY, torch.sigmoid(SCORES)),
    case("binary_crossentropy", BINARY, SCORES, from_logits=True),
    case("binary_crossentropy", BINARY, torch.tensor([[0.0, 1.0, 0.5]] * 5)),
    case("categorical_crossentropy", ONE_HOT, PROBS),
    case("categorical_crossentropy", ONE_HOT, PROBS * 3),
    case("categorical_crossentropy", ONE_HOT, LOGITS, from_logits=True),
    case("categorical_crossentropy", ONE_HOT.T, LOGITS.T, from_logits=True, axis=0),
    case("sparse_categorical_crossentropy", LABELS, PROBS),
    case("sparse_categorical_crossentropy", LABELS, LOGITS, from_logits=True),
    case("sparse_categorical_crossentropy", LABELS[:, None], LOGITS, from_logits=True),
    case("sparse_categorical_crossentropy", LABELS, LOGITS.T, from_logits=True, axis=0),
    case("sparse_categorical_crossentropy", torch.tensor(2), LOGITS[0], from_logits=True),
    case("sparse_categorical_crossentropy", LABELS.reshape(1, 5), PROBS.reshape(1, 5, 4)),
    case("moments", A, axes=[0, 1]),
    case("moments", A, axes=[2], keepdims=True),
    case("moments", A, axes=-1),
    case("moments", HALF, axes=[0]),
    case("normalize", A),
    case("normalize", A, axis=1),
    case("normalize", A, axis=(0, 2), order=1),
    case("normalize", A, order=3, epsilon=1e-3),
    case("normalize", torch.tensor([[3, 4], [0, 0]])),
]


def to_numpy(value):
    if isinstance(value, (tuple, list)):
        return [to_numpy(item) for item in value]
    return value.detach().float().numpy()


@pytest.mark.parametrize("name, args, kwargs", CASES)
def test_parity_with_keras(keras, name, args, kwargs):
    expected = getattr(keras.ops, name)(*args, **kwargs)
    result = getattr(ops, name)(*args, **kwargs)
    for got, want in zip(*(v if isinstance(v, tuple) else (v,) for v in (result, expected))):
        assert got.dtype == want.dtype and got.shape == want.shape
        tolerance = 1e-3 if want.dtype == torch.float16 else 1e-5
        np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=tolerance, atol=tolerance / 10)


def test_gelu_defaults_differ_between_ops_and_formula():
    x = torch.linspace(-3, 3, 13)
    tanh_form = 0.5 * x * (1 + torch.tanh((2 / torch.pi) ** 0.5 * (x + 0.044715 * x**3)))
    exact_form = 0.5 * x * (1 + torch.erf(x / 2**0.5))
    torch.testing.assert_close(ops.gelu(x), tanh_form)
    torch.testing.assert_close(ops.gelu(x, approximate=False), exact_form)


def test_reference_formulas():
    x = A.reshape(-1)
    torch.testing.assert_close(ops.hard_sigmoid(x), torch.clamp(x / 6 + 0.5, 0, 1))
    torch.testing.assert_close(ops.leaky_relu(x), torch.where(x > 0, x, 0.2 * x))
    probs = torch.tensor([[0.2, 0.8]])
    expected = -torch.log(torch.tensor([0.8]))
    torch.testing.assert_close(ops.categorical_crossentropy(torch.tensor([[0.0, 1.0]]), probs), expected)
    torch.testing.assert_close(ops.sparse_categorical_crossentropy(torch.tensor([1]), probs), expected)
    mean, variance = ops.moments(A, axes=[0, 1])
    torch.testing.assert_close(variance, A.var(dim=(0, 1), unbiased=False), rtol=1e-4, atol=1e-5)


def test_one_hot_out_of_range_is_all_zero_without_host_sync():
    encoded = ops.one_hot(torch.tensor([-1, 1, 5]), 3)
    assert encoded.tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]


def test_binary_crossentropy_runs_under_autocast():
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = ops.binary_crossentropy(BINARY, torch.sigmoid(SCORES))
    assert torch.isfinite(loss).all()


def test_errors():
    with pytest.raises(ValueError, match="same shape"):
        ops.binary_crossentropy(BINARY, SCORES[:, :2])
    with pytest.raises(ValueError, match="same shape"):
        ops.categorical_crossentropy(ONE_HOT, PROBS[:, :3])
    with pytest.raises(ValueError, match="class axis"):
        ops.sparse_categorical_crossentropy(LABELS[:3], LOGITS)
    with pytest.raises(ValueError, match="order"):
        ops.normalize(A, order=0)
    with pytest.raises(ValueError, match="sparse"):
        ops.one_hot(LABELS, 4, sparse=True)
    with pytest.raises(NotImplementedError, match="synchronized"):
        ops.moments(A, axes=[0], synchronized=True)
    with pytest.warns(UserWarning, match="size 1"):
        ops.softmax(torch.ones(3, 1))
