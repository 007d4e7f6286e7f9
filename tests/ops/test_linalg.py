"""torchkeras.ops.linalg: norm against keras.ops and NumPy."""

import numpy as np
import pytest
import torch

from torchkeras import ops

rng = np.random.default_rng(4)
A = rng.standard_normal((2, 3, 4)).astype("float32")
M = rng.standard_normal((3, 4)).astype("float32")
V = rng.standard_normal((5,)).astype("float32")

CASES = [
    (V, {}),
    (V, {"ord": 1}),
    (V, {"ord": np.inf}),
    (M, {}),
    (M, {"ord": "fro"}),
    (M, {"ord": "nuc"}),
    (M, {"ord": 1}),
    (M, {"axis": 1}),
    (M, {"ord": 3, "axis": 0, "keepdims": True}),
    (A, {"axis": -1}),
    (A, {"axis": (1, 2)}),
    (A, {"ord": 2, "axis": (0, 2), "keepdims": True}),
    (np.arange(6, dtype="int32").reshape(2, 3), {}),
]


@pytest.mark.parametrize("x, kwargs", CASES, ids=[str(k) for _, k in CASES])
def test_norm_parity_with_keras_and_numpy(keras, x, kwargs):
    x = torch.as_tensor(x)
    expected = keras.ops.norm(x, **kwargs)
    result = ops.norm(x, **kwargs)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    reference = np.linalg.norm(x.numpy().astype("float64"), **kwargs)
    np.testing.assert_allclose(result.numpy(), reference, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------- decompositions and solvers (parity)

from tests.ops.parity import case as row  # noqa: E402
from tests.ops.parity import run_case  # noqa: E402

SPD = torch.as_tensor(np.einsum("bij,bkj->bik", A[:, :, :3], A[:, :, :3]) + 3 * np.eye(3, dtype="float32"))
GENERAL = torch.as_tensor(rng.standard_normal((2, 3, 3)).astype("float32"))
TALL = torch.as_tensor(rng.standard_normal((5, 3)).astype("float32"))
RHS = torch.as_tensor(rng.standard_normal((2, 3, 2)).astype("float32"))
UPPER = torch.triu(GENERAL) + 3 * torch.eye(3)
LA = "linalg"

LINALG_CASES = [
    row("cholesky", SPD, namespace=LA, rtol=1e-4),
    row("cholesky", SPD, upper=True, namespace=LA, rtol=1e-4),
    row("cholesky_inverse", torch.linalg.cholesky(SPD), namespace=LA, rtol=1e-4),
    row("cholesky_inverse", torch.linalg.cholesky(SPD, upper=True), upper=True, namespace=LA, rtol=1e-4),
    row("det", GENERAL, namespace=LA, rtol=1e-4),
    row("inv", SPD, namespace=LA, rtol=1e-4),
    row("eigh", SPD, namespace=LA, rtol=1e-4),
    row("lu_factor", GENERAL, namespace=LA, rtol=1e-4),
    row("qr", TALL, namespace=LA, rtol=1e-4),
    row("qr", TALL, mode="complete", namespace=LA, rtol=1e-4),
    row("solve", SPD, RHS, namespace=LA, rtol=1e-4),
    row("solve_triangular", UPPER, RHS, namespace=LA, rtol=1e-4),
    row("solve_triangular", UPPER.transpose(-1, -2), RHS[..., 0], lower=True, namespace=LA, rtol=1e-4),
    row("svd", TALL, compute_uv=False, namespace=LA, rtol=1e-4),
    row("lstsq", TALL, TALL[:, :2] + 1, namespace=LA, rtol=1e-4),
    row("matrix_rank", TALL, namespace=LA),
    row("matrix_rank", TALL @ TALL.T, tol=1e-3, namespace=LA),
    row("pinv", TALL, namespace=LA, rtol=1e-4),
    row("pinv", TALL, rcond=0.5, namespace=LA, rtol=1e-4),
]


@pytest.mark.parametrize("name, args, kwargs, options", LINALG_CASES)
def test_linalg_parity(keras, name, args, kwargs, options):
    run_case(keras, name, args, kwargs, options)


def test_decompositions_rebuild_their_input():
    general = GENERAL.double()
    values, vectors = ops.linalg.eig(general)
    np.testing.assert_allclose(
        (vectors @ torch.diag_embed(values)).numpy(), (general.cdouble() @ vectors).numpy(), atol=1e-10
    )
    u, s, vh = ops.linalg.svd(TALL.double(), full_matrices=False)
    np.testing.assert_allclose((u * s[None]) @ vh, TALL.double(), atol=1e-10)
    lu, pivots = ops.linalg.lu_factor(general[0])
    lower, upper = torch.tril(lu, -1) + torch.eye(3), torch.triu(lu)
    rows = list(range(3))
    for i, p in enumerate(pivots.tolist()):
        rows[i], rows[p] = rows[p], rows[i]
    np.testing.assert_allclose((lower @ upper).numpy(), general[0][rows].numpy(), atol=1e-10)
    x = ops.linalg.lstsq(TALL.double(), TALL.double()[:, 0] * 2)
    np.testing.assert_allclose(x.numpy(), [2.0, 0.0, 0.0], atol=1e-10)


def test_jvp_matches_keras(keras):
    x, t = torch.ones(3), torch.arange(3.0)
    ours = ops.linalg.jvp(lambda v: torch.sin(v) * v, (x,), (t,))
    theirs = keras.ops.linalg.jvp(lambda v: torch.sin(v) * v, (x,), (t,))
    for got, want in zip(ours, theirs):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_linalg_errors():
    with pytest.raises(ValueError, match="square"):
        ops.linalg.inv(TALL)
    with pytest.raises(ValueError, match="mode"):
        ops.linalg.qr(TALL, mode="r")
    with pytest.raises(ValueError, match="rank"):
        ops.linalg.det(torch.ones(3))
