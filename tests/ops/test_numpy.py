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


# ------------------------------------------------------ the rest of keras.ops.numpy (parity table)

from tests.ops.parity import case as row  # noqa: E402
from tests.ops.parity import run_case  # noqa: E402

T = torch.as_tensor
TA, TB, TM, TV = T(A), T(B), T(M), T(V)
TUNIT, TPOS, TINT, TPOSINT, TBOOL = T(UNIT), T(POS), T(INT), T(POSINT), T(BOOL)
NANS = T(np.where(rng.random((3, 4)) > 0.7, np.nan, rng.standard_normal((3, 4))).astype("float32"))
ALL_NAN_ROW = T(np.array([[np.nan, np.nan], [1.0, np.nan]], "float32"))
BITS = T(rng.integers(0, 64, (2, 3)).astype("int32"))
SHIFTS = T(rng.integers(0, 4, (2, 3)).astype("int32"))
SORTED = T(np.sort(rng.standard_normal(6)).astype("float32"))
VALUES = T(rng.standard_normal((2, 3)).astype("float32"))
COMPLEX = torch.complex(TM, TM.T)
SEQ1, SEQ2 = T(rng.standard_normal(7).astype("float32")), T(rng.standard_normal(3).astype("float32"))
COUNTS = T(rng.integers(0, 5, (7,)).astype("int32"))
VEC3 = T(rng.standard_normal((4, 3)).astype("float32"))

NUMPY_PARITY = [
    *(
        row(name, TUNIT)
        for name in (
            "arccos",
            "arcsin",
            "arctanh",
            "cosh",
            "sinh",
            "sinc",
            "cbrt",
            "deg2rad",
            "rad2deg",
            "exp2",
            "expm1",
            "fabs",
            "i0",
            "trunc",
            "signbit",
            "angle",
            "real",
            "conj",
            "conjugate",
            "isreal",
        )
    ),  # fmt: skip
    *(row(name, TINT) for name in ("arcsinh", "cosh", "exp2", "fabs", "trunc", "deg2rad", "signbit", "cbrt")),
    row("arccosh", TPOS + 1),
    row("arctan2", TUNIT, TPOS),
    row("arctan2", TINT, TPOSINT),
    row("hypot", TUNIT, TPOS),
    row("logaddexp", TUNIT, TPOS),
    row("logaddexp2", TUNIT, TINT),
    row("ldexp", TUNIT, TPOSINT),
    row("nextafter", TUNIT, TPOS),
    row("fmax", NANS, T(np.zeros((3, 4), "float32"))),
    row("fmin", NANS, T(np.zeros((3, 4), "float32"))),
    row("fmod", TINT, TPOSINT),
    row("fmod", TUNIT * 5, TPOS),
    row("gcd", TINT, TPOSINT),
    row("lcm", TINT, TPOSINT),
    row("heaviside", TUNIT, TPOS),
    row("logical_xor", TBOOL, T(BOOL2)),
    row("divide_no_nan", TINT, TINT),
    row("divide_no_nan", TUNIT, T(np.array([[0.0, 1.0, 2.0], [0.5, 0.0, 3.0]], "float32"))),
    row("isclose", TUNIT, TUNIT + 1e-6),
    row("isclose", NANS, NANS, equal_nan=True),
    row("allclose", TUNIT, TUNIT + 1e-3, atol=1e-2),
    row("isposinf", T(SPECIAL)),
    row("isneginf", T(SPECIAL)),
    row("real", COMPLEX),
    row("imag", COMPLEX),
    row("conj", COMPLEX),
    row("angle", COMPLEX),
    row("bitwise_and", BITS, SHIFTS),
    row("bitwise_or", BITS, SHIFTS),
    row("bitwise_xor", BITS, SHIFTS),
    row("bitwise_not", BITS),
    row("bitwise_invert", TBOOL),
    row("bitwise_left_shift", BITS, SHIFTS),
    row("bitwise_right_shift", BITS, SHIFTS),
    row("left_shift", BITS, SHIFTS),
    row("right_shift", BITS, SHIFTS),
    # creation
    row("array", TA),
    row("array", [1, 2, 3], dtype="float32"),
    row("copy", TA),
    row("tri", 3),
    row("tri", 3, 4, k=1, dtype="int32"),
    row("logspace", 0.0, 2.0, 5),
    row("logspace", 1, 3, 4, endpoint=False, base=2),
    row("geomspace", 1.0, 1000.0, 4),
    row("geomspace", 2.0, 32.0, 5, endpoint=False),
    row("meshgrid", TV, T(ROW)),
    row("meshgrid", TV, T(ROW), indexing="ij"),
    row("vander", TV),
    row("vander", TV, N=4, increasing=True),
    row("diagflat", TV),
    row("diagflat", TM[:2, :2], k=-1),
    *(row(name, 7) for name in ("bartlett", "blackman", "hamming", "hanning")),
    row("kaiser", 6, 3.0),
    # manipulation
    row("append", TA, TB),
    row("append", TA, TB, axis=1),
    row("append", TINT, TUNIT, axis=0),
    row("array_split", TA, 3, axis=2),
    row("array_split", TA, 2, axis=1),
    row("hsplit", TA, 3),
    row("vsplit", TM, 3),
    row("dsplit", TA, 2),
    row("hstack", [TA, TB]),
    row("vstack", [TV, TV]),
    row("dstack", [TM, TM]),
    row("fliplr", TA),
    row("flipud", TA),
    row("roll", TA, 2),
    row("roll", TA, -1, axis=1),
    row("roll", TA, (1, 2), axis=(0, 2)),
    row("rot90", TM),
    row("rot90", TA, k=3, axes=(1, 2)),
    row("get_item", TA, 1),
    row("get_item", TA, (slice(None), 2)),
    row("view", TUNIT, "int32"),
    row("unravel_index", T(np.array([5, 11, 0], "int32")), (3, 4)),
    row("diagonal", TA, offset=1, axis1=1, axis2=2),
    row("diagonal", TM),
    row("diff", TA),
    row("diff", TA, n=2, axis=1),
    row("diff", TINT, axis=0),
    row("trapezoid", TA),
    row("trapezoid", TA, dx=0.5, axis=1),
    row("trapezoid", TM, x=TV, axis=0),
    # reductions and statistics
    row("amax", TA, axis=1),
    row("amin", TINT),
    row("amax", TA, axis=(0, 2), keepdims=True),
    row("ptp", TA),
    row("ptp", TA, axis=1, keepdims=True),
    row("nansum", NANS),
    row("nansum", NANS, axis=1),
    row("nanprod", NANS, axis=0),
    row("nanmean", NANS, axis=1),
    row("nanmean", NANS, keepdims=True),
    row("nanvar", NANS, axis=0),
    row("nanstd", NANS, axis=1),
    row("nanmax", NANS, axis=1),
    row("nanmin", NANS),
    row("nanmax", ALL_NAN_ROW, axis=1),
    row("nanargmax", NANS, axis=1),
    row("nanargmin", NANS),
    row("nanargmax", NANS, axis=0, keepdims=True),
    row("nancumsum", NANS, axis=1),
    row("nancumprod", NANS),
    row("nansum", TINT, axis=0),
    row("average", TA),
    row("average", TA, axis=2, weights=TA * TA),
    row("median", TA),
    row("median", TA, axis=1),
    row("median", TINT, axis=0, keepdims=True),
    row("nanmedian", NANS, axis=1),
    row("quantile", TA, 0.3),
    row("quantile", TA, [0.25, 0.75], axis=1),
    row("quantile", TA, 0.4, axis=(0, 2), keepdims=True),
    row("quantile", TA, 0.5, axis=0, method="lower"),
    row("quantile", TA, 0.3, method="higher"),
    row("quantile", TA, 0.3, method="midpoint"),
    row("quantile", TA, 0.35, axis=1, method="nearest"),
    row("percentile", TA, 30.0, axis=2),
    row("nanpercentile", NANS, [10.0, 90.0], axis=0),
    row("nanquantile", NANS, 0.5),
    row("corrcoef", TM),
    row("corrcoef", TINT),
    row("histogram", T(rng.standard_normal(20).astype("float32"))),
    row("histogram", T(rng.standard_normal(20).astype("float32")), bins=4, range=(-1.0, 1.0)),
    row("bincount", COUNTS, symbolic=False),
    row("bincount", COUNTS, minlength=8, symbolic=False),
    row("bincount", COUNTS, weights=SEQ1, symbolic=False),
    row("digitize", TA, T(np.array([-1.0, 0.0, 1.0], "float32"))),
    # searching
    row("searchsorted", SORTED, VALUES),
    row("searchsorted", SORTED, VALUES, side="right"),
    row("isin", TINT, T(np.array([1, 2, -3], "int32"))),
    row("isin", TINT, T(np.array([1, 2, -3], "int32")), invert=True),
    row("nonzero", TINT, symbolic=False),
    row("unique", TINT, symbolic=False),
    row("unique", TINT, return_counts=True, return_inverse=True, symbolic=False),
    row("unique", TINT.reshape(-1), return_index=True, symbolic=False),
    row("unique", T(np.array([[1, 2], [1, 2], [0, 5]], "int32")), axis=0, symbolic=False),
    row("unique", TINT, size=12, fill_value=-9, symbolic=False),
    # linear algebra
    row("cross", VEC3, torch.flip(VEC3, [0])),
    row("cross", VEC3.T, VEC3.T, axis=0),
    row("inner", TM, TM),
    row("inner", TV, TV),
    row("vdot", TV, TV),
    row("kron", TM, TINT),
    row("kron", TV, TV),
    row("slogdet", TM),
    row("correlate", SEQ1, SEQ2),
    row("correlate", SEQ1, SEQ2, mode="same"),
    row("correlate", SEQ1, SEQ2, mode="full"),
    row("correlate", SEQ2, SEQ1, mode="full"),
]


@pytest.mark.parametrize("name, args, kwargs, options", NUMPY_PARITY)
def test_numpy_parity_more(keras, name, args, kwargs, options):
    run_case(keras, name, args, kwargs, options)


def test_argpartition_partitions():
    x = torch.as_tensor(rng.standard_normal((3, 7)).astype("float32"))
    order = ops.argpartition(x, 2, axis=1)
    assert order.dtype == torch.int32
    parted = torch.take_along_dim(x, order.long(), 1)
    kth = torch.sort(x, 1).values[:, 2:3]
    assert torch.equal(parted[:, 2:3], kth)
    assert bool((parted[:, :2] <= kth).all()) and bool((parted[:, 3:] >= kth).all())


def test_empty_and_vectorize(keras):
    assert ops.empty((2, 3)).shape == (2, 3) and ops.empty((2,), dtype="int32").dtype == torch.int32
    assert ops.empty_like(TINT).dtype == torch.int32
    dot = ops.vectorize(lambda a, b: torch.sum(a * b), signature="(n),(n)->()")
    expected = keras.ops.vectorize(lambda a, b: torch.sum(a * b), signature="(n),(n)->()")(TA, TB[0])
    np.testing.assert_allclose(dot(TA, TB[0]).numpy(), expected.numpy(), rtol=1e-6)
    scaled = ops.vectorize(lambda a, s: a * s, excluded={1})
    np.testing.assert_allclose(scaled(TM, 3.0).numpy(), (TM * 3.0).numpy())


# NumPy is the reference where Keras 3.15's torch backend fails (it calls torch kernels that refuse
# these inputs) or departs from NumPy.
NUMPY_REFERENCE_MORE = [
    ("cross", (VEC3[:, :2].numpy(), VEC3[:, :2].numpy()[::-1].copy()), {}),
    ("cross", (VEC3.numpy(), VEC3[:, :2].numpy()), {}),
    ("vdot", (M, M.T.copy()), {}),
    ("average", (A,), {"axis": 1, "weights": np.array([1.0, 2.0, 3.0], "float32")}),
    ("array_split", (A, [1, 2]), {"axis": 1}),
    ("imag", (UNIT,), {}),
    ("correlate", (SEQ2.numpy(), SEQ1.numpy()), {"mode": "same"}),
]


@pytest.mark.parametrize("name, args, kwargs", NUMPY_REFERENCE_MORE, ids=[c[0] for c in NUMPY_REFERENCE_MORE])
def test_numpy_reference_more(name, args, kwargs):
    expected = getattr(np, name)(*args, **kwargs)
    result = getattr(ops, name)(*args, **kwargs)
    if isinstance(expected, list):
        for got, want in zip(result, expected):
            np.testing.assert_allclose(to_numpy(got), want, rtol=1e-5, atol=1e-6)
        return
    np.testing.assert_allclose(to_numpy(result), expected, rtol=1e-5, atol=1e-6)


def test_unique_first_indices_and_inverse_2d():
    values, first, inverse, counts = ops.unique(
        INT, return_index=True, return_inverse=True, return_counts=True
    )
    want = np.unique(INT, return_index=True, return_inverse=True, return_counts=True)
    for got, expected in zip((values, first, inverse, counts), want):
        np.testing.assert_array_equal(to_numpy(got).reshape(-1), np.asarray(expected).reshape(-1))
