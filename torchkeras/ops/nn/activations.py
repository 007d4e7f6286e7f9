"""Activation functions (`keras.ops.nn`): element-wise, and the normalized exponentials."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchkeras.ops._convert import ArrayLike, tensor
from torchkeras.ops._symbolic import symbolic_op

__all__ = [
    "celu",
    "elu",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh_shrink",
    "threshold",
]


def relu(x: ArrayLike) -> torch.Tensor:
    """`max(x, 0)`."""
    return F.relu(tensor(x))


def relu6(x: ArrayLike) -> torch.Tensor:
    """`min(max(x, 0), 6)`."""
    return F.relu6(tensor(x))


def sigmoid(x: ArrayLike) -> torch.Tensor:
    """`1 / (1 + exp(-x))`."""
    return torch.sigmoid(tensor(x))


def log_sigmoid(x: ArrayLike) -> torch.Tensor:
    """`log(sigmoid(x))`, computed stably."""
    return F.logsigmoid(tensor(x))


def softplus(x: ArrayLike) -> torch.Tensor:
    """`log(1 + exp(x))`."""
    return F.softplus(tensor(x))


def softsign(x: ArrayLike) -> torch.Tensor:
    """`x / (1 + |x|)`."""
    return F.softsign(tensor(x))


def silu(x: ArrayLike) -> torch.Tensor:
    """`x * sigmoid(x)` (also called swish)."""
    return F.silu(tensor(x))


swish = silu


def elu(x: ArrayLike, alpha: float = 1.0) -> torch.Tensor:
    """`x` if `x > 0`, else `alpha * (exp(x) - 1)`."""
    return F.elu(tensor(x), alpha)


def selu(x: ArrayLike) -> torch.Tensor:
    """Scaled ELU with the self-normalizing constants (`scale=1.0507...`, `alpha=1.6732...`)."""
    return F.selu(tensor(x))


def leaky_relu(x: ArrayLike, negative_slope: float = 0.2) -> torch.Tensor:
    """`x` if `x > 0`, else `negative_slope * x`."""
    return F.leaky_relu(tensor(x), negative_slope)


def hard_sigmoid(x: ArrayLike) -> torch.Tensor:
    """Piecewise-linear sigmoid: `relu6(x + 3) / 6`."""
    return F.hardsigmoid(tensor(x))


def hard_silu(x: ArrayLike) -> torch.Tensor:
    """`x * hard_sigmoid(x)` (also called hard swish)."""
    return F.hardswish(tensor(x))


hard_swish = hard_silu


def gelu(x: ArrayLike, approximate: bool = True) -> torch.Tensor:
    """Gaussian error linear unit; the tanh approximation by default (unlike
    `keras.activations.gelu`, which defaults to the exact form)."""
    return F.gelu(tensor(x), approximate="tanh" if approximate else "none")


def softmax(x: ArrayLike, axis: int | Sequence[int] | None = -1) -> torch.Tensor:
    """`exp(x) / sum(exp(x))` over `axis` (an int, a tuple of axes, or None for all)."""
    return _normalized_exp(F.softmax, tensor(x), axis)


def log_softmax(x: ArrayLike, axis: int | Sequence[int] | None = -1) -> torch.Tensor:
    """`x - logsumexp(x)` over `axis` (an int, a tuple of axes, or None for all)."""
    return _normalized_exp(F.log_softmax, tensor(x), axis)


def _normalized_exp(fn: Any, x: Any, axis: Any) -> Any:
    if isinstance(axis, int):
        if x.ndim and x.shape[axis] == 1:
            warnings.warn(
                f"You are using a softmax over axis {axis} of a tensor of shape {tuple(x.shape)}. "
                "This axis has size 1: the result is always 1. Did you mean a sigmoid?",
                stacklevel=3,
            )
        if x.dtype == torch.float16 and x.device.type == "cpu":  # accumulate half floats in float32
            return fn(x, dim=axis, dtype=torch.float32).to(torch.float16)
        return fn(x, dim=axis)
    axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = torch.permute(x, (*kept, *axes))
    flat = torch.reshape(moved, (*moved.shape[: len(kept)], -1))
    out = torch.reshape(_normalized_exp(fn, flat, -1), moved.shape)
    order = [*kept, *axes]
    return torch.permute(out, tuple(sorted(range(x.ndim), key=order.__getitem__)))


@symbolic_op
def celu(x: ArrayLike, alpha: float = 1.0) -> torch.Tensor:
    """`max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)`."""
    return F.celu(tensor(x), alpha)


@symbolic_op
def glu(x: ArrayLike, axis: int = -1) -> torch.Tensor:
    """Gated linear unit: splits `x` in two halves `a, b` along `axis`, returns `a * sigmoid(b)`."""
    x = tensor(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"`x` must have an even size along `axis`={axis}. Received: x.shape={tuple(x.shape)}"
        )
    return F.glu(x, dim=axis)


@symbolic_op
def hard_tanh(x: ArrayLike) -> torch.Tensor:
    """`x` clipped to `[-1, 1]`."""
    return F.hardtanh(tensor(x), -1.0, 1.0)


@symbolic_op
def hard_shrink(x: ArrayLike, threshold: float = 0.5) -> torch.Tensor:
    """`x` where `|x| > threshold`, else 0."""
    return F.hardshrink(tensor(x), threshold)


@symbolic_op
def soft_shrink(x: ArrayLike, threshold: float = 0.5) -> torch.Tensor:
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, else 0."""
    return F.softshrink(tensor(x), threshold)


@symbolic_op
def tanh_shrink(x: ArrayLike) -> torch.Tensor:
    """`x - tanh(x)`."""
    return F.tanhshrink(tensor(x))


@symbolic_op
def threshold(x: ArrayLike, threshold: float, default_value: float) -> torch.Tensor:
    """`x` where `x > threshold`, else `default_value`."""
    return F.threshold(tensor(x), threshold, default_value)


@symbolic_op
def sparse_plus(x: ArrayLike) -> torch.Tensor:
    """0 for `x <= -1`, `(x + 1)**2 / 4` for `-1 < x < 1`, `x` for `x >= 1`."""
    x = tensor(x)
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, torch.square(x + 1) / 4, x))


@symbolic_op
def sparse_sigmoid(x: ArrayLike) -> torch.Tensor:
    """0 for `x <= -1`, `(x + 1) / 2` for `-1 < x < 1`, 1 for `x >= 1`."""
    return torch.clamp((tensor(x) + 1) / 2, 0.0, 1.0)


@symbolic_op
def squareplus(x: ArrayLike, b: float = 4) -> torch.Tensor:
    """`(x + sqrt(x**2 + b)) / 2`, a smooth ReLU."""
    x = tensor(x)
    return (x + torch.sqrt(torch.square(x) + b)) / 2


@symbolic_op
def sparsemax(x: ArrayLike, axis: int = -1) -> torch.Tensor:
    """Euclidean projection of `x` onto the probability simplex along `axis`: like softmax, but
    exactly zero for low logits."""
    x = tensor(x)
    ordered = torch.sort(x, dim=axis, descending=True).values
    shape = [1] * x.ndim
    shape[axis] = -1
    ranks = torch.arange(1, x.shape[axis] + 1, dtype=x.dtype, device=x.device).reshape(shape)
    cumulative = torch.cumsum(ordered, dim=axis)
    support = ordered * ranks > cumulative - 1
    count = torch.sum(support, dim=axis, keepdim=True)
    tau = (torch.sum(torch.where(support, ordered, 0.0), dim=axis, keepdim=True) - 1) / count
    return torch.clamp(x - tau, min=0.0)
