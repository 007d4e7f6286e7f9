"""Linear algebra ops (`keras.ops.linalg`)."""

from __future__ import annotations

import torch

from torchkeras.ops._convert import ArrayLike, Axis, floatx_dtype, tensor

__all__ = ["norm"]


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
    x = tensor(x)
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        x = x.to(floatx_dtype())
    return torch.linalg.norm(x, ord=ord, dim=axis, keepdim=keepdims)
