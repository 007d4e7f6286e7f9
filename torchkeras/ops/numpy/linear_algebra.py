"""Products and matrix helpers: matmul, dot, tensordot, einsum, outer, triangles, diagonals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchkeras.ops._convert import (
    INT32,
    SMALL_INTS,
    ArrayLike,
    floatx_dtype,
    pair,
    tensor,
)

__all__ = ["diag", "dot", "einsum", "matmul", "outer", "tensordot", "trace", "tril", "triu"]


def matmul(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Matrix product with NumPy's rules for 1-D operands and broadcast batch dimensions."""
    x1, x2 = pair(x1, x2)
    if x1.dtype == x2.dtype and x1.dtype.is_floating_point:
        return torch.matmul(x1, x2)
    return _promoted(torch.matmul, x1, x2)


def dot(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """`np.dot`: a product for scalars, else a sum over the last axis of `x1` and the second-to-last
    (or only) axis of `x2`."""
    x1, x2 = pair(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return torch.multiply(x1, x2)
    if x2.ndim <= 2:
        return matmul(x1, x2)
    return _promoted(torch.tensordot, x1, x2, dims=([-1], [-2]))


def tensordot(x1: ArrayLike, x2: ArrayLike, axes: int | Sequence[Any] = 2) -> torch.Tensor:
    """Sums products over the last `axes` axes of `x1` and first of `x2`, or over explicit axis pairs
    `(axes_1, axes_2)`."""
    x1, x2 = pair(x1, x2)
    if not isinstance(axes, int):
        first, second = axes
        axes = (
            [first] if isinstance(first, int) else list(first),
            [second] if isinstance(second, int) else list(second),
        )
    return _promoted(torch.tensordot, x1, x2, dims=axes)


def _promoted(product: Any, x1: Any, x2: Any, **kwargs: Any) -> Any:
    """`product` on operands of one dtype (torch does not mix them); bools, and integers off the
    CPU (no CUDA kernels), are computed in floatx and cast back."""
    dtype = torch.promote_types(x1.dtype, x2.dtype)
    compute = dtype
    if not (dtype.is_floating_point or dtype.is_complex) and (dtype == torch.bool or x1.device.type != "cpu"):
        compute = floatx_dtype()
    result = product(x1.to(compute), x2.to(compute), **kwargs)
    return result if compute == dtype else result.to(dtype)


def einsum(subscripts: str, *operands: ArrayLike, **kwargs: Any) -> torch.Tensor:
    """Einstein summation over `operands` as described by `subscripts` (e.g. `"ij,jk->ik"`)."""
    return torch.einsum(subscripts, *[tensor(x) for x in operands])


def outer(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Outer product of the flattened `x1` and `x2`."""
    x1, x2 = pair(x1, x2)
    return torch.outer(torch.ravel(x1), torch.ravel(x2))


def triu(x: ArrayLike, k: int = 0) -> torch.Tensor:
    """`x` with entries below the `k`-th diagonal zeroed."""
    return torch.triu(tensor(x), diagonal=k)


def tril(x: ArrayLike, k: int = 0) -> torch.Tensor:
    """`x` with entries above the `k`-th diagonal zeroed."""
    return torch.tril(tensor(x), diagonal=k)


def diag(x: ArrayLike, k: int = 0) -> torch.Tensor:
    """The `k`-th diagonal of a matrix, or a matrix with a vector on its `k`-th diagonal."""
    return torch.diag(tensor(x), diagonal=k)


def trace(x: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    """Sum along a diagonal of `x` (bools and small ints sum as int32)."""
    x = tensor(x)
    dtype = INT32 if x.dtype in SMALL_INTS else x.dtype
    return torch.sum(torch.diagonal(x, offset, axis1, axis2), dim=-1, dtype=dtype)
