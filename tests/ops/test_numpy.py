"""torchkeras.ops.numpy: parity with keras.ops on a table of (op, arguments), plus NumPy references."""

import numpy as np
import pytest
import torch

from torchkeras import ops

rng = np.random.default_rng(0)
A = rng.standard_normal((2, 3, 4)).astype("float32")
B = rng.standard_normal((2, 3, 4)).astype("float32")
ROW = rng.standard_normal((4,)).astype("float32")
M = rng.standard_normal((3, 3)).astype("float32")
N = rng.standard_normal((3, 5)).astype("float32")
V = rng.standard_normal((3,)).astype("float32")
POS = rng.uniform(0.5, 2.0, (2, 3)).astype("float32")
UNIT = rng.uniform(-0.9, 0.9, (2, 3)).astype("float32")
INT = rng.integers(-5, 6, (2, 3)).astype("int32")
POSINT = rng.integers(1, 4, (2, 3)).astype("int32")
BOOL = rng.random((2, 3)) > 0.5
BOOL2 = rng.random((2, 3)) > 0.5
HALF = rng.standard_normal((2, 3)).astype("float16")
F64 = rng.standard_normal((2, 3))
SPECIAL = np.array([np.nan, np.inf, -np.inf, 1.5, -2.5, 0.0], "float32")
IDX = np.array([[0, 2], [-1, 1]], "int32")


def case(name, *args, check_dtype=True, raw=False, **kwargs):
    """One table row: `keras.ops.<name>(*args, **kwargs)` against `torchkeras.ops.<name>`.

    Arrays go in as torch tensors unless `raw` (then NumPy arrays, lists and numbers as written).
    """
    label = "-".join([name, *(f"{k}={v}" for k, v in kwargs.items())])
    return pytest.param(name, args, kwargs, check_dtype, raw, id=label)


CASES = [
    # creation
    case("zeros", (2, 3)),
    case("ones", (2, 3), dtype="int32"),
    case("full", (2, 3), 7),
    case("full", (2, 3), 1.5, dtype="float64"),
    case("full", (2, 4), ROW[:4], raw=True),
    case("zeros_like", INT),
    case("ones_like", A, dtype="float16"),
    case("full_like", INT, 2.5),
    case("full_like", A, 3, dtype="int32"),
    case("arange", 5),
    case("arange", 1, 10, 3),
    case("arange", 0.0, 2.0, 0.25),
    case("arange", 4, dtype="float32"),
    case("linspace", 0.0, 1.0, 7),
    case("linspace", -2, 5, 6, endpoint=False),
    case("eye", 3),
    case("eye", 3, 4, k=1),
    case("eye", 4, 3, k=-2, dtype="int32"),
    case("identity", 3),
    # shapes and indexing
    case("reshape", A, (6, 4)),
    case("reshape", A, (-1,)),
    case("transpose", A),
    case("transpose", A, (1, 0, 2)),
    case("expand_dims", A, 1),
    case("expand_dims", A, (0, -1)),
    case("squeeze", A[:1, :, :1]),
    case("squeeze", A[:1, :, :1], axis=0),
    case("squeeze", A[:1, :, :1], axis=(0, 2)),
    case("concatenate", [A, B], axis=1),
    case("concatenate", [A, B]),
    case("stack", [A, B], axis=-1),
    case("split", A, 2, axis=2),
    case("split", A, [1, 3], axis=2),
    case("tile", M, (2, 1)),
    case("tile", V, 3),
    case("repeat", M, 2),
    case("repeat", M, 3, axis=1),
    case("flip", A),
    case("flip", A, axis=1),
    case("flip", A, axis=(0, 2)),
    case("broadcast_to", ROW, (3, 4)),
    case("swapaxes", A, 0, 2),
    case("moveaxis", A, 0, -1),
    case("moveaxis", A, (0, 1), (2, 0)),
    case("take", A, IDX, axis=1),
    case("take", A, np.abs(IDX)),  # negative flat indices: see NUMPY_CASES
    case("take", M, [2, -1, 0], axis=0),
    case("take_along_axis", M, np.argsort(M, axis=1), axis=1),
    case("take_along_axis", M, np.array([[0], [-1], [1]]), axis=1),
    case("where", BOOL, POS, UNIT),
    case("where", BOOL, 1.0, UNIT),
    case("where", BOOL, POS, 0),
    case("where", BOOL),
    case("where", INT),
    case("pad", M, ((1, 0), (0, 2))),
    case("pad", M, ((1, 1), (2, 0)), constant_values=3.0),
    case("pad", A, ((0, 0), (1, 1), (2, 1)), mode="reflect"),
    case("pad", M, ((1, 1), (1, 1)), mode="symmetric"),
    case("ravel", A),
    case("shape", A),
    case("ndim", A),
    case("size", A),
    # element-wise, binary (broadcasting, scalars, mixed dtypes)
    case("add", A, B),
    case("add", A, ROW),
    case("add", A, 2.5),
    case("add", INT, 2),
    case("add", INT, 2.5),
    case("add", HALF, 2.5),
    case("add", INT, A[0, :2, :3]),
    case("add", F64, A[0, :2, :3]),
    case("add", 3, A),
    case("subtract", A, B),
    case("subtract", 1.0, A),
    case("multiply", A, ROW),
    case("multiply", INT, POSINT),
    case("divide", A, POS[:1, :1, None]),
    case("divide", INT, POSINT),
    case("divide", INT, 2),
    case("true_divide", A, 4.0),
    case("floor_divide", INT, POSINT),
    case("floor_divide", A, 0.3),
    case("mod", INT, POSINT),
    case("mod", A, 0.7),
    case("mod", INT, 3),
    case("power", POS, UNIT),
    case("power", INT, 2),
    case("power", POSINT, 2.0),
    case("power", 2, POSINT),
    case("maximum", A, B),
    case("maximum", A, 0.0),
    case("maximum", INT, POSINT),
    case("minimum", A, ROW),
    case("minimum", 0.5, A),
    case("logical_and", BOOL, BOOL2),
    case("logical_or", BOOL, INT),
    case("logical_not", INT),
    case("equal", INT, POSINT),
    case("equal", A, A[:, :1]),
    case("not_equal", INT, 1),
    case("greater", A, B),
    case("greater_equal", INT, 0),
    case("less", A, 0.1),
    case("less_equal", INT, POSINT),
    # element-wise, unary
    case("negative", A),
    case("abs", INT),
    case("absolute", A),
    case("sign", A),
    case("sign", INT),
    case("sqrt", POS),
    case("sqrt", POSINT),
    case("square", A),
    case("square", INT),
    case("exp", A),
    case("exp", POSINT),
    case("exp", HALF),
    case("log", POS),
    case("log1p", POS),
    case("log2", POSINT),
    case("log10", POS),
    case("sin", A),
    case("cos", A),
    case("tan", UNIT),
    case("tanh", A),
    case("arctan", A),
    case("floor", A),
    case("ceil", A),
    case("round", A * 3),
    case("round", A, 2),
    case("round", INT),
    case("reciprocal", POS),
    case("reciprocal", POSINT),
    case("clip", A, -0.5, 0.5),
    case("clip", INT, -2, 3),
    case("clip", INT, -0.5, 2.5),
    case("clip", A, ROW * 0, 0.5),
    case("isnan", SPECIAL),
    case("isinf", SPECIAL),
    case("isfinite", SPECIAL),
    case("nan_to_num", SPECIAL),
    case("nan_to_num", SPECIAL, nan=1.0, posinf=9.0, neginf=-9.0),
    # reductions
    case("sum", A),
    case("sum", A, axis=1),
    case("sum", A, axis=(0, 2), keepdims=True),
    case("sum", INT),
    case("sum", BOOL, axis=0),
    case("sum", A, axis=()),
    case("mean", A),
    case("mean", A, axis=-1, keepdims=True),
    case("mean", A, axis=[0, 1]),
    case("mean", INT, axis=0),
    case("mean", HALF, axis=1),
    case("max", A),
    case("max", A, axis=1),
    case("max", A, axis=(0, 2), keepdims=True),
    case("max", INT, axis=0, initial=2),
    case("min", A, axis=-1),
    case("min", INT, axis=1, keepdims=True),
    case("min", A, axis=0, initial=-0.5),
    case("prod", POS),
    case("prod", POS, axis=1, keepdims=True),
    case("prod", INT, axis=(0, 1)),
    case("prod", POSINT, axis=0),
    case("std", A),
    case("std", A, axis=1, keepdims=True),
    case("std", INT, axis=0),
    case("var", A, axis=(0, 2)),
    case("var", INT),
    case("var", HALF, axis=0),
    case("argmax", A),
    case("argmax", A, axis=1),
    case("argmax", A, axis=-1, keepdims=True),
    case("argmin", A, axis=0),
    case("argmin", BOOL, axis=1),
    case("all", BOOL),
    case("all", BOOL, axis=1),
    case("all", INT, axis=0, keepdims=True),
    case("any", BOOL, axis=(0, 1)),
    case("any", A > 1, axis=-1),
    case("any", INT),
    case("cumsum", A),
    case("cumsum", A, axis=1),
    case("cumsum", INT, axis=0),
    case("cumsum", BOOL, axis=1),
    case("cumprod", POS, axis=-1),
    case("cumprod", POSINT),
    case("count_nonzero", INT),
    case("count_nonzero", INT, axis=0),
    # linear algebra and sorting
    case("matmul", M, N),
    case("matmul", A, A.transpose(0, 2, 1)),
    case("matmul", V, N),
    case("matmul", N.T, V),
    case("matmul", INT, POSINT.T),
    case("matmul", INT, A[0, :3, :2]),
    case("matmul", BOOL, BOOL2.T),
    case("tensordot", INT, M[:2], axes=([0], [0])),
    case("dot", M, INT.T),
    case("dot", M, N),
    case("dot", V, V),
    case("dot", M, 2.0),
    case("einsum", "ij,jk->ik", M, N),
    case("einsum", "bij->bji", A),
    case("tensordot", M, N, axes=1),
    case("tensordot", A, A, axes=([0, 1], [0, 1])),
    case("tensordot", M, M, axes=2),
    case("outer", V, ROW),
    case("outer", M, V),
    case("triu", M),
    case("triu", A, k=1),
    case("tril", M, k=-1),
    case("diag", M),
    case("diag", M, k=1),
    case("diag", V, k=-1),
    case("trace", M),
    case("trace", A, offset=1, axis1=1, axis2=2),
    case("trace", INT[:, :2]),
    case("sort", A),
    case("sort", A, axis=0),
    case("sort", INT, axis=None),
    case("argsort", A, axis=1),
    case("argsort", INT, axis=None),
    case("select", [A > 0.5, A < -0.5], [A, -A], 7.0),
    # NumPy arrays, lists and Python numbers straight in
    case("add", A, B, raw=True),
    case("add", [1, 2, 3], 1, raw=True),
    case("add", [1.0, 2.0], [3.0, 4.0], raw=True),
    case("multiply", 2, 3, raw=True),
    case("multiply", 2, 3.0, raw=True),
    case("sum", [[1, 2], [3, 4]], axis=0, raw=True),
    case("mean", F64, raw=True),
    case("maximum", INT, 1, raw=True),
    case("exp", 1.0, raw=True),
    case("where", BOOL, 1, 2.0, raw=True),
]


def to_numpy(value):
    if isinstance(value, (tuple, list)):
        return [to_numpy(item) for item in value]
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def assert_same(result, expected, check_dtype=True, rtol=1e-5, atol=1e-6):
    """Same structure, shape, values and (optionally) dtype."""
    if isinstance(expected, (tuple, list)):
        assert isinstance(result, (tuple, list)) and len(result) == len(expected)
        for got, want in zip(result, expected):
            assert_same(got, want, check_dtype, rtol, atol)
        return
    if isinstance(expected, torch.Tensor):
        assert isinstance(result, torch.Tensor), type(result)
        if check_dtype:
            assert result.dtype == expected.dtype
    else:
        assert type(result) is type(expected) or (np.isscalar(result) and np.isscalar(expected))
    got, want = to_numpy(result), to_numpy(expected)
    assert got.shape == want.shape
    if got.dtype == np.float16 or want.dtype == np.float16:
        rtol, atol = 1e-3, 1e-3
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name, args, kwargs, check_dtype, raw", CASES)
def test_parity_with_keras(keras, name, args, kwargs, check_dtype, raw):
    def prepare(arg):
        if raw:
            return arg
        if isinstance(arg, np.ndarray):
            return torch.as_tensor(arg)
        if isinstance(arg, list) and arg and isinstance(arg[0], np.ndarray):
            return [torch.as_tensor(item) for item in arg]
        return arg

    args = [prepare(arg) for arg in args]
    expected = getattr(keras.ops, name)(*args, **kwargs)
    result = getattr(ops, name)(*args, **kwargs)
    assert_same(result, expected, check_dtype)


# NumPy is the reference where Keras's torch backend departs from NumPy, or lacks the case.
NUMPY_CASES = [
    ("dot", (A, rng.standard_normal((2, 4, 5)).astype("float32")), {}),
    ("repeat", (M, [1, 0, 2]), {"axis": 0}),
    ("pad", (np.arange(5.0),), {"pad_width": (3, 2), "mode": "symmetric"}),
    ("pad", (A,), {"pad_width": 1, "mode": "edge"}),
    ("pad", (INT,), {"pad_width": ((1, 1), (0, 2)), "mode": "reflect"}),
    ("min", (INT,), {"keepdims": True}),  # Keras's torch backend drops keepdims when axis=None
    ("max", (A,), {"keepdims": True}),
    ("count_nonzero", (rng.integers(0, 2, (2, 3, 4)),), {"axis": 0}),
    ("linspace", (np.array([0.0, 1.0]), np.array([1.0, 3.0]), 5), {"axis": 1}),
    ("linspace", (0.0, 1.0, 4), {"endpoint": False, "retstep": True}),
    ("split", (np.arange(10.0), [3, 7]), {}),
    ("take", (A, 1), {"axis": -1}),
    ("take", (A, IDX), {}),  # Keras's torch backend offsets -1 by x.shape[0], not x.size
]


@pytest.mark.parametrize("name, args, kwargs", NUMPY_CASES, ids=[c[0] for c in NUMPY_CASES])
def test_numpy_reference(name, args, kwargs):
    expected = getattr(np, name)(*args, **kwargs)
    result = getattr(ops, name)(*args, **kwargs)
    if isinstance(expected, tuple):  # linspace retstep
        np.testing.assert_allclose(to_numpy(result[0]), expected[0], rtol=1e-6)
        np.testing.assert_allclose(float(result[1]), expected[1], rtol=1e-6)
        return
    if isinstance(expected, list):  # split
        assert len(result) == len(expected)
        for got, want in zip(result, expected):
            np.testing.assert_allclose(to_numpy(got), want, rtol=1e-6)
        return
    assert to_numpy(result).shape == np.shape(expected)
    np.testing.assert_allclose(to_numpy(result), expected, rtol=1e-5, atol=1e-6)


def test_dtype_rules():
    assert ops.convert_to_tensor(1).dtype == torch.int32
    assert ops.convert_to_tensor(2.0).dtype == torch.float32
    assert ops.convert_to_tensor([1, 2]).dtype == torch.int32
    assert ops.convert_to_tensor(np.zeros(2)).dtype == torch.float64  # NumPy keeps its dtype
    assert ops.arange(3).dtype == torch.int32
    assert ops.add(torch.ones(2, dtype=torch.float16), 2.5).dtype == torch.float16
    assert ops.sum(torch.ones(2, dtype=torch.int32)).dtype == torch.int32
    assert ops.mean(torch.ones(2, dtype=torch.int32)).dtype == torch.float32


def test_binary_op_keeps_python_scalar_off_device():
    x = torch.ones(3)
    assert ops.multiply(x, 2.0).tolist() == [2.0, 2.0, 2.0]
    assert ops.subtract(5, x).tolist() == [4.0, 4.0, 4.0]


def test_errors():
    with pytest.raises(ValueError, match="indices_or_sections"):
        ops.split(torch.ones(5), 2)
    with pytest.raises(ValueError, match="mode"):
        ops.pad(torch.ones(3), 1, mode="wrapp")
    with pytest.raises(ValueError, match="constant_values"):
        ops.pad(torch.ones(3), 1, mode="reflect", constant_values=2)
    with pytest.raises(ValueError, match="pad_width"):
        ops.pad(torch.ones(3, 3), ((1, 1), (1, 1), (1, 1)))
    with pytest.raises(ValueError, match="empty"):
        ops.max(torch.ones(0))
    with pytest.raises(ValueError, match="x1"):
        ops.where(torch.ones(2) > 0, 1.0)
    with pytest.raises(ValueError, match="numeric"):
        ops.add(torch.ones(2), np.array(["a", "b"]))


def test_gradients_flow():
    x = torch.randn(3, 4, requires_grad=True)
    loss = ops.sum(ops.square(ops.take(ops.matmul(x, ops.transpose(x)), [0, 2], axis=1)))
    loss.backward()
    assert x.grad is not None and x.grad.shape == (3, 4)
