"""Math ops (`keras.ops.math`): log-sum-exp, top-k, error functions, reciprocal square root."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from torchkeras.ops._convert import ArrayLike, pair, tensor

__all__ = ["erf", "erfinv", "in_top_k", "logsumexp", "rsqrt", "top_k"]


def logsumexp(x: ArrayLike, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> torch.Tensor:
    """`log(sum(exp(x)))` over `axis` (all axes when None), computed stably."""
    x = tensor(x)
    dim = tuple(range(x.ndim)) if axis is None else axis
    return torch.logsumexp(x, dim=dim, keepdim=keepdims)


def top_k(x: ArrayLike, k: int, sorted: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The `k` largest entries along the last axis and their indices, as `(values, indices)`."""
    return torch.topk(tensor(x), k, sorted=sorted)


def in_top_k(targets: ArrayLike, predictions: ArrayLike, k: int) -> torch.Tensor:
    """Whether each target class is among the `k` highest `predictions` of its row (ties count in).

    Args:
        targets: int tensor of shape `(batch,)`.
        predictions: float tensor of shape `(batch, classes)`.
    """
    predictions, targets = pair(predictions, targets)
    target_scores = torch.take_along_dim(predictions, targets.long()[:, None], dim=1)
    higher = torch.sum(predictions > target_scores, dim=1)
    return (higher < k) & ~torch.isnan(target_scores[:, 0])


def erf(x: ArrayLike) -> torch.Tensor:
    """Element-wise Gauss error function."""
    return torch.erf(tensor(x))


def erfinv(x: ArrayLike) -> torch.Tensor:
    """Element-wise inverse of `erf`."""
    return torch.erfinv(tensor(x))


def rsqrt(x: ArrayLike) -> torch.Tensor:
    """Element-wise `1 / sqrt(x)`."""
    return torch.rsqrt(tensor(x))
