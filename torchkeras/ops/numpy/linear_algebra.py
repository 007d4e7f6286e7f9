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
from torchkeras.ops._symbolic import symbolic_op

__all__ = [
    "correlate",
    "cross",
    "diag",
    "diagflat",
    "diagonal",
    "dot",
    "einsum",
    "inner",
    "kron",
    "matmul",
    "outer",
    "slogdet",
    "tensordot",
    "trace",
    "tril",
    "triu",
    "vdot",
]


@symbolic_op
def matmul(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Matrix product with NumPy's rules for 1-D operands and broadcast batch dimensions."""
    x1, x2 = pair(x1, x2)
    if x1.dtype == x2.dtype and x1.dtype.is_floating_point:
        return torch.matmul(x1, x2)
    return _promoted(torch.matmul, x1, x2)


@symbolic_op
def dot(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """`np.dot`: a product for scalars, else a sum over the last axis of `x1` and the second-to-last
    (or only) axis of `x2`."""
    x1, x2 = pair(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return torch.multiply(x1, x2)
    if x2.ndim <= 2:
        return matmul(x1, x2)
    return _promoted(torch.tensordot, x1, x2, dims=([-1], [-2]))


@symbolic_op
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


@symbolic_op
def einsum(subscripts: str, *operands: ArrayLike, **kwargs: Any) -> torch.Tensor:
    """Einstein summation over `operands` as described by `subscripts` (e.g. `"ij,jk->ik"`)."""
    return torch.einsum(subscripts, *[tensor(x) for x in operands])


@symbolic_op
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


@symbolic_op
def trace(x: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    """Sum along a diagonal of `x` (bools and small ints sum as int32)."""
    x = tensor(x)
    dtype = INT32 if x.dtype in SMALL_INTS else x.dtype
    return torch.sum(torch.diagonal(x, offset, axis1, axis2), dim=-1, dtype=dtype)


@symbolic_op
def cross(
    x1: ArrayLike, x2: ArrayLike, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None
) -> torch.Tensor:
    """Cross product of 3-vectors (2-vectors are extended with a zero z; two 2-vectors give the
    z component only).

    Args:
        x1, x2: vectors along `axisa` / `axisb`.
        axisc: where the result's vector axis goes.
        axis: if given, overrides all three.
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = pair(x1, x2)
    a, b = torch.movedim(x1, axisa, -1), torch.movedim(x2, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(
            "The vector axes of `x1` and `x2` must have size 2 or 3. "
            f"Received: x1.shape={tuple(x1.shape)}, x2.shape={tuple(x2.shape)}"
        )
    dtype = torch.promote_types(a.dtype, b.dtype)
    a, b = a.to(dtype), b.to(dtype)
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    if a.shape[-1] == 2:
        a = torch.nn.functional.pad(a, (0, 1))
    if b.shape[-1] == 2:
        b = torch.nn.functional.pad(b, (0, 1))
    a, b = torch.broadcast_tensors(a, b)
    return torch.movedim(torch.linalg.cross(a, b, dim=-1), -1, axisc)


@symbolic_op
def inner(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Inner product over the last axes (a scalar factor multiplies)."""
    return _promoted(torch.inner, *pair(x1, x2))


@symbolic_op
def vdot(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Dot product of the flattened inputs (the first conjugated)."""
    x1, x2 = pair(x1, x2)
    a, b = torch.ravel(x1), torch.ravel(x2)
    if a.dtype.is_complex:
        a = torch.conj(a)
    return _promoted(torch.dot, a, b)


@symbolic_op
def kron(x1: ArrayLike, x2: ArrayLike) -> torch.Tensor:
    """Kronecker product: blocks of `x2` scaled by each element of `x1`."""
    x1, x2 = pair(x1, x2)
    dtype = torch.promote_types(x1.dtype, x2.dtype)
    return torch.kron(x1.to(dtype), x2.to(dtype))


@symbolic_op
def diagonal(x: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    """The `offset`-th diagonal over `axis1`/`axis2`, as a new last axis."""
    return torch.diagonal(tensor(x), offset, axis1, axis2)


@symbolic_op
def diagflat(x: ArrayLike, k: int = 0) -> torch.Tensor:
    """A 2-D tensor with the flattened `x` on its `k`-th diagonal."""
    return torch.diagflat(tensor(x), k)


@symbolic_op
def slogdet(x: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Sign and natural log of the absolute determinant of square matrices."""
    x = tensor(x)
    if not x.dtype.is_floating_point and not x.dtype.is_complex:
        x = x.to(floatx_dtype())
    sign, logabsdet = torch.linalg.slogdet(x)
    return sign, logabsdet


@symbolic_op
def correlate(x1: ArrayLike, x2: ArrayLike, mode: str = "valid") -> torch.Tensor:
    """Cross-correlation of two 1-D sequences, as `np.correlate`: `c[k] = sum(x1[n + k] * x2[n])`.

    Args:
        mode: `"valid"` (full overlap only), `"same"` (length of the longer input) or `"full"`.
    """
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"`mode` must be 'valid', 'same' or 'full'. Received: mode={mode!r}")
    x1, x2 = pair(x1, x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(f"`x1` and `x2` must be 1-D. Received: {tuple(x1.shape)} and {tuple(x2.shape)}")
    dtype = torch.promote_types(x1.dtype, x2.dtype)
    if not dtype.is_floating_point:
        dtype = floatx_dtype()
    a, v = x1.to(dtype), x2.to(dtype)
    swapped = v.shape[0] > a.shape[0]
    if swapped:
        a, v = v, a
    m = v.shape[0]
    pad = {"valid": 0, "same": m // 2, "full": m - 1}[mode]
    right = pad if mode != "same" else m - 1 - pad
    out = torch.nn.functional.conv1d(torch.nn.functional.pad(a, (pad, right))[None, None], v[None, None])[
        0, 0
    ]
    return torch.flip(out, [0]) if swapped else out
