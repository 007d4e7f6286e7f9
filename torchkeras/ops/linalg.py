"""Linear algebra ops (`keras.ops.linalg`): decompositions, inverses, solvers, norms, ranks.

Every op works on batches: the last two axes hold the matrices. Integer inputs are computed in floatx.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch._subclasses.fake_tensor import is_fake  # shape inference runs ops on fake tensors

from torchkeras.ops._convert import ArrayLike, Axis, floatx_dtype, pair, tensor
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.utils.validation import check_choice

__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "jvp",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
]


def _float(x: ArrayLike) -> torch.Tensor:
    x = tensor(x)
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        x = x.to(floatx_dtype())
    return x


def _matrices(x: ArrayLike, argument: str = "x") -> torch.Tensor:
    x = _float(x)
    if x.ndim < 2:
        raise ValueError(
            f"`{argument}` must have rank >= 2 (..., M, N). Received: {argument}.shape={tuple(x.shape)}"
        )
    return x


def _square(x: ArrayLike, argument: str = "x") -> torch.Tensor:
    x = _matrices(x, argument)
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"`{argument}` must hold square matrices (..., M, M). Received: {argument}.shape={tuple(x.shape)}"
        )
    return x


@symbolic_op
def norm(
    x: ArrayLike, ord: float | str | None = None, axis: Axis = None, keepdims: bool = False
) -> torch.Tensor:
    """Vector or matrix norm, as `np.linalg.norm`.

    Args:
        x: input tensor; integers are computed in floatx.
        ord: the norm order (`None` is 2 for vectors, `"fro"` for matrices; also `"nuc"`, inf, ...).
        axis: one axis (vector norm), two axes (matrix norm), or None (the whole `x` as a vector when
            `ord` is None, else a 1-D or 2-D `x`).
        keepdims: keep the reduced axes with size 1.
    """
    return torch.linalg.norm(_float(x), ord=ord, dim=axis, keepdim=keepdims)


@symbolic_op
def cholesky(x: ArrayLike, upper: bool = False) -> torch.Tensor:
    """Cholesky factor of symmetric positive-definite matrices: `L` with `x = L @ L^T` (or the
    upper factor `U = L^T` with `upper=True`)."""
    return torch.linalg.cholesky(_square(x), upper=upper)


@symbolic_op
def cholesky_inverse(x: ArrayLike, upper: bool = False) -> torch.Tensor:
    """The inverse of `A` from its Cholesky factor `x` (lower, or upper with `upper=True`)."""
    return torch.cholesky_inverse(_square(x), upper=upper)


@symbolic_op
def det(x: ArrayLike) -> torch.Tensor:
    """Determinant of square matrices `(..., M, M)` -> `(...)`."""
    return torch.linalg.det(_square(x))


@symbolic_op
def eig(x: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues `(..., M)` and right eigenvectors `(..., M, M)` (columns) of general square
    matrices; both complex."""
    return tuple(torch.linalg.eig(_square(x)))


@symbolic_op
def eigh(x: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric (Hermitian)
    matrices; only the lower triangle is read."""
    return tuple(torch.linalg.eigh(_square(x)))


@symbolic_op
def inv(x: ArrayLike) -> torch.Tensor:
    """Inverse of square matrices."""
    return torch.linalg.inv(_square(x))


@symbolic_op
def lu_factor(x: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    """LU factorization with partial pivoting, in LAPACK's packed form.

    Returns:
        `(lu, pivots)`: `lu` holds `U` in its upper triangle and `L` (unit diagonal omitted) below;
        `pivots` are 0-based row swaps (row `i` was swapped with row `pivots[i]`), int32.
    """
    lu, pivots = torch.linalg.lu_factor(_matrices(x))
    return lu, (pivots - 1).to(torch.int32)


@symbolic_op
def qr(x: ArrayLike, mode: str = "reduced") -> tuple[torch.Tensor, torch.Tensor]:
    """QR decomposition `x = q @ r`: `q` orthonormal columns, `r` upper triangular.

    Args:
        x: matrices `(..., M, N)`.
        mode: `"reduced"` (`q` is `(..., M, K)`, `K = min(M, N)`) or `"complete"` (`q` is `(..., M, M)`).
    """
    mode = check_choice(mode, ("reduced", "complete"), "mode")
    return tuple(torch.linalg.qr(_matrices(x), mode=mode))


@symbolic_op
def solve(a: ArrayLike, b: ArrayLike) -> torch.Tensor:
    """Solves `a @ x = b` for `x`; `b` is `(..., M, K)` or a batch of vectors `(..., M)`."""
    a, b = pair(_square(a, "a"), _float(b))
    return torch.linalg.solve(a, b.to(a.dtype))


@symbolic_op
def solve_triangular(a: ArrayLike, b: ArrayLike, lower: bool = False) -> torch.Tensor:
    """Solves `a @ x = b` for a triangular `a` (upper unless `lower`); `b` as for `solve`."""
    a, b = pair(_square(a, "a"), _float(b))
    b = b.to(a.dtype)
    vector = b.ndim == a.ndim - 1
    if vector:
        b = torch.unsqueeze(b, -1)
    x = torch.linalg.solve_triangular(a, b, upper=not lower)
    return torch.squeeze(x, -1) if vector else x


@symbolic_op
def svd(
    x: ArrayLike, full_matrices: bool = True, compute_uv: bool = True
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | torch.Tensor:
    """Singular value decomposition `x = u @ diag(s) @ vh`.

    Args:
        x: matrices `(..., M, N)`.
        full_matrices: square `u` `(..., M, M)` and `vh` `(..., N, N)`; else `K = min(M, N)` columns.
        compute_uv: if False, return only the singular values `s` `(..., K)`, descending.
    """
    x = _matrices(x)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))


@symbolic_op
def lstsq(a: ArrayLike, b: ArrayLike, rcond: float | None = None) -> torch.Tensor:
    """Least-squares solution `x` minimizing `||a @ x - b||`, as `np.linalg.lstsq(...)[0]`.

    Args:
        a: `(M, N)` matrix.
        b: `(M,)` or `(M, K)`.
        rcond: relative cut-off for small singular values (SVD driver), default machine precision.
    """
    a, b = pair(_matrices(a, "a"), _float(b))
    b = b.to(a.dtype)
    vector = b.ndim == a.ndim - 1
    if vector:
        b = torch.unsqueeze(b, -1)
    if rcond is None and a.device.type == "cpu" and not is_fake(a):  # fake: lstsq's extra outputs vary
        x = torch.linalg.lstsq(a, b, driver="gelsd").solution
    else:
        x = torch.linalg.pinv(a, rtol=rcond) @ b  # the SVD route: NumPy's `rcond` on every device
    return torch.squeeze(x, -1) if vector else x


@symbolic_op
def matrix_rank(x: ArrayLike, tol: float | None = None) -> torch.Tensor:
    """Rank of matrices: singular values above `tol` (absolute; default relative machine precision), int32."""
    return torch.linalg.matrix_rank(_matrices(x), atol=tol).to(torch.int32)


@symbolic_op
def pinv(x: ArrayLike, rcond: float | None = None) -> torch.Tensor:
    """Moore-Penrose pseudo-inverse; singular values below `rcond * largest` are treated as zero."""
    return torch.linalg.pinv(_matrices(x), rtol=rcond)


def jvp(
    fun: Callable[..., Any],
    primals: Sequence[ArrayLike],
    tangents: Sequence[ArrayLike],
    has_aux: bool = False,
) -> tuple:
    """Forward-mode derivative: `(fun(*primals), J(primals) @ tangents)` (plus the aux output when
    `has_aux`, where `fun` returns `(output, aux)`), via `torch.func.jvp`."""
    primals = tuple(tensor(p) for p in primals)
    tangents = tuple(tensor(t) for t in tangents)
    if len(primals) != len(tangents):
        raise ValueError(
            "`primals` and `tangents` must have the same length. "
            f"Received: {len(primals)} primals and {len(tangents)} tangents"
        )
    return torch.func.jvp(fun, primals, tangents, has_aux=has_aux)
