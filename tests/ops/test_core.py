"""torchkeras.ops.core: conversion, scatter/slice updates and control flow, against keras.ops."""

import numpy as np
import pytest
import torch

from torchkeras import ops

rng = np.random.default_rng(1)
X = torch.as_tensor(rng.standard_normal((3, 4)).astype("float32"))
X3 = torch.as_tensor(rng.standard_normal((2, 3, 4)).astype("float32"))
REPEATED = torch.tensor([[0, 1], [0, 1], [2, 2]])  # one position twice


def case(name, *args, **kwargs):
    label = "-".join([name, *(f"{k}={v}" for k, v in kwargs.items())])
    return pytest.param(name, args, kwargs, id=label)


CASES = [
    case("cast", X, "int32"),
    case("cast", X, "float16"),
    case("cast", [1, 2], "float32"),
    case("cast", X, torch.float64),
    case("convert_to_tensor", X),
    case("convert_to_tensor", 3),
    case("convert_to_tensor", 3.5),
    case("convert_to_tensor", True),
    case("convert_to_tensor", 2**40),
    case("convert_to_tensor", [1, 2, 3]),
    case("convert_to_tensor", [1.0, 2]),
    case("convert_to_tensor", [[True], [False]]),
    case("convert_to_tensor", np.arange(4.0)),
    case("convert_to_tensor", np.arange(4, dtype="uint8")),
    case("convert_to_tensor", np.arange(4), dtype="float32"),
    case("convert_to_tensor", [X[0], X[1]]),
    case("stop_gradient", X),
    case("shape", X3),
    case("unstack", X3),
    case("unstack", X3, axis=1),
    case("scatter", torch.tensor([[0, 1], [2, 3], [0, 1]]), torch.tensor([1.0, 2.0, 3.0]), (3, 4)),
    case("scatter", torch.tensor([[1], [0]]), torch.ones(2, 4), (3, 4)),
    case("scatter_update", X, torch.tensor([[0, 1], [2, 3]]), torch.tensor([10.0, 20.0])),
    case("scatter_update", X, torch.tensor([[1]]), torch.ones(1, 4)),
    case("scatter_update", X3, torch.tensor([[1, 2], [0, 0]]), torch.ones(2, 4)),
    case("scatter_update", X, REPEATED, torch.tensor([1.0, 2.0, 3.0]), reduction="add"),
    case("scatter_update", X, REPEATED, torch.tensor([9.0, 0.0, -9.0]), reduction="max"),
    case("scatter_update", X, REPEATED, torch.tensor([9.0, 0.0, -9.0]), reduction="min"),
    case("scatter_update", X, torch.tensor([[0], [2], [0]]), torch.full((3, 4), 2.0), reduction="mul"),
    case("slice", X3, (1, 0, 2), (1, 2, 2)),
    case("slice", X3, torch.tensor([0, 1, 1]), (2, 2, 3)),
    case("slice_update", X, (1, 2), torch.ones(2, 2)),
    case("slice_update", X3, torch.tensor([1, 0, 1]), torch.zeros(1, 3, 2)),
]


def to_numpy(value):
    if isinstance(value, (tuple, list)):
        return [to_numpy(item) for item in value]
    return value.detach().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


@pytest.mark.parametrize("name, args, kwargs", CASES)
def test_parity_with_keras(keras, name, args, kwargs):
    expected = getattr(keras.ops, name)(*args, **kwargs)
    result = getattr(ops, name)(*args, **kwargs)
    if isinstance(expected, torch.Tensor):
        assert result.dtype == expected.dtype
    else:
        assert type(result) is type(expected) or isinstance(expected, (tuple, list))
    got, want = to_numpy(result), to_numpy(expected)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(np.asarray(got, dtype="float64"), np.asarray(want, dtype="float64"), rtol=1e-6)


def test_convert_to_numpy_and_is_tensor(keras):
    for value in (X, [X[0], X[1]], 2.5, torch.ones(2, dtype=torch.bfloat16)):
        expected = keras.ops.convert_to_numpy(value)
        result = ops.convert_to_numpy(value)
        assert isinstance(result, np.ndarray) and result.shape == expected.shape
        np.testing.assert_allclose(result, expected.astype(result.dtype))
    assert ops.is_tensor(X) and not ops.is_tensor(np.ones(2)) and not ops.is_tensor([1.0])


def test_stop_gradient_blocks_gradient():
    x = torch.ones(2, requires_grad=True)
    y = ops.stop_gradient(x * 2) * x
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_slice_update_with_tensor_start_keeps_gradients():
    base = torch.zeros(3, 4, requires_grad=True)
    update = torch.ones(2, 2, requires_grad=True)
    out = ops.slice_update(base, torch.tensor([1, 1]), update)
    (out * torch.arange(12.0).reshape(3, 4)).sum().backward()
    assert update.grad.tolist() == [[5.0, 6.0], [9.0, 10.0]]
    assert base.grad[1, 1] == 0 and base.grad[0, 0] == 0


def test_control_flow(keras):
    assert ops.cond(torch.tensor(True), lambda: 1, lambda: 2) == 1
    assert ops.cond(False, lambda: 1, lambda: 2) == 2
    assert ops.fori_loop(0, 4, lambda i, v: v + i, 10) == keras.ops.fori_loop(0, 4, lambda i, v: v + i, 10)


def test_errors():
    with pytest.raises(ValueError, match="reduction"):
        ops.scatter_update(X, torch.tensor([[0, 0]]), torch.ones(1), reduction="avg")
    with pytest.raises(ValueError, match="sparse"):
        ops.convert_to_tensor(X, sparse=True)
    with pytest.raises(ValueError, match="num"):
        ops.unstack(X, num=5)
    with pytest.raises(ValueError, match="dtype"):
        ops.cast(X, "float31")


class Symbolic:
    """A stand-in for a symbolic tensor: records every torch function applied to it."""

    calls: list = []

    def __init__(self, shape, dtype=torch.float32):
        self.shape, self.dtype, self.ndim = torch.Size(shape), dtype, len(shape)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        cls.calls.append((func, args))
        return Symbolic((1,))


@pytest.mark.parametrize(
    "op, args, torch_func",
    [
        (ops.matmul, (None, torch.ones(4, 2)), torch.matmul),
        (ops.add, (None, 2.0), torch.add),
        (ops.multiply, (torch.ones(4), None), torch.multiply),
        (ops.maximum, (None, 0.0), torch.maximum),
        (ops.exp, (None,), torch.exp),
        (ops.reshape, (None, (2, 2)), torch.reshape),
        (ops.concatenate, ([None, torch.ones(4)],), torch.cat),
        (ops.relu, (None,), torch.nn.functional.relu),
        (ops.logsumexp, (None,), torch.logsumexp),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_tensor_likes_reach_torch_untouched(op, args, torch_func):
    symbolic = Symbolic((4,))

    def place(arg):  # None marks where the symbolic tensor goes
        if isinstance(arg, list):
            return [place(item) for item in arg]
        return symbolic if arg is None else arg

    args = [place(arg) for arg in args]
    Symbolic.calls = []
    assert isinstance(op(*args), Symbolic)
    func, called_with = Symbolic.calls[0]
    # A composite op (@symbolic_op) dispatches as a whole; a one-call op reaches torch's function.
    assert func is torch_func or func is op
    flat = [item for arg in called_with for item in (arg if isinstance(arg, (list, tuple)) else [arg])]
    assert any(item is symbolic for item in flat)


def test_convert_to_tensor_returns_tensor_likes_unchanged():
    symbolic = Symbolic((2,))
    assert ops.convert_to_tensor(symbolic) is symbolic
    assert ops.convert_to_tensor(X) is X


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_operands_mix_with_host_values():
    x = torch.randn(4, 3, device="cuda")
    labels = torch.tensor([0, 2, -1, 1], device="cuda")
    results = [
        ops.add(x, 2.5),
        ops.subtract(1.0, x),
        ops.maximum(x, 0.0),
        ops.minimum([[0.1, 0.2, 0.3]], x),
        ops.where(x > 0, x, 0.0),
        ops.where(x > 0, 1.0, [[0.0, 2.0, 3.0]]),
        ops.clip(x, -0.5, [0.1, 0.2, 0.3]),
        ops.take(x, [0, -1], axis=0),
        ops.take_along_axis(x, labels.abs()[:, None], axis=1),
        ops.one_hot(labels, 3),
        ops.sparse_categorical_crossentropy(labels.abs(), x, from_logits=True),
        ops.binary_crossentropy(torch.ones_like(x), torch.sigmoid(x)),
        ops.scatter_update(x, torch.tensor([[0, 1], [0, 1]], device="cuda"), x[0, :2], reduction="max"),
        ops.slice_update(x, torch.tensor([1, 1], device="cuda"), torch.zeros(2, 2, device="cuda")),
        ops.matmul(x, x.T),
        ops.matmul(labels[:, None], labels[None, :]),  # no integer matmul kernels on CUDA
        ops.pad(x, ((1, 1), (0, 2)), mode="reflect"),
        ops.argsort(x, axis=0),
        ops.normalize(x, order=1),
    ]
    assert all(result.device.type == "cuda" for result in results)
    cpu = ops.slice_update(x.cpu(), torch.tensor([1, 1]), torch.zeros(2, 2))
    torch.testing.assert_close(results[13].cpu(), cpu)
