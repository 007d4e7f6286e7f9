"""Neural-network ops (`keras.ops.nn`): activations, one-hot encoding, cross-entropies, moments."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchkeras import config
from torchkeras.ops._convert import ArrayLike, convert, floatx_dtype, pair, tensor, to_torch_dtype

__all__ = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "elu",
    "gelu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "moments",
    "normalize",
    "one_hot",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "sparse_categorical_crossentropy",
    "swish",
]

# ------------------------------------------------------------------------------------- activations


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


# ---------------------------------------------------------------------------------------- encoding


def one_hot(
    x: ArrayLike, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False
) -> torch.Tensor:
    """One-hot encodes the integer tensor `x` with `num_classes` entries along a new `axis`.

    Values outside `[0, num_classes)` (e.g. -1 for padding) encode as all zeros. The result is floatx
    unless `dtype` is given.
    """
    if sparse:
        raise ValueError("`sparse=True` is not supported by torchkeras. Received: sparse=True")
    x = tensor(x)
    if x.dtype.is_floating_point:
        x = x.long()
    classes = torch.arange(num_classes, device=x.device)
    encoded = torch.eq(torch.unsqueeze(x, -1), classes).to(to_torch_dtype(dtype))
    if axis == -1 or axis == x.ndim:
        return encoded
    return torch.movedim(encoded, -1, axis)


def normalize(x: ArrayLike, axis: int | Sequence[int] = -1, order: int = 2, epsilon: float | None = None):
    """`x / max(norm(x, order), epsilon)` along `axis`.

    Args:
        order: the norm order, an int >= 1.
        epsilon: lower bound for the norm; defaults to `config.epsilon()`.
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"`order` must be an int >= 1. Received: order={order!r}")
    x = tensor(x)
    if x.ndim == 0:
        x = torch.unsqueeze(x, 0)
    epsilon = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        square_sum = torch.sum(torch.square(x), dim=axis, keepdim=True)
        return x * torch.clamp_max(torch.rsqrt(square_sum), 1.0 / epsilon)
    if not x.dtype.is_floating_point:
        x = x.to(floatx_dtype())
    norm = torch.linalg.norm(x, ord=order, dim=axis, keepdim=True)  # two axes: a matrix norm, as Keras
    return x / torch.clamp_min(norm, epsilon)


def moments(
    x: ArrayLike, axes: int | Sequence[int], keepdims: bool = False, synchronized: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of `x` over `axes`, as `(mean, variance)`.

    The variance is `mean(x**2) - mean(x)**2`, as Keras computes it; float16 is computed in float32.
    """
    if synchronized:
        raise NotImplementedError("`synchronized=True` is not supported by torchkeras.")
    x = tensor(x)
    half = x.dtype == torch.float16
    if half:
        x = x.to(torch.float32)
    dim = axes if isinstance(axes, int) else tuple(axes)
    mean = torch.mean(x, dim=dim, keepdim=keepdims)
    variance = torch.mean(torch.square(x), dim=dim, keepdim=keepdims) - torch.square(mean)
    if half:
        limit = torch.finfo(torch.float16).max
        mean = torch.clamp(mean, -limit, limit).to(torch.float16)
        variance = torch.clamp(variance, -limit, limit).to(torch.float16)
    return mean, variance


# ----------------------------------------------------------------------------------- cross-entropies


def binary_crossentropy(target: ArrayLike, output: ArrayLike, from_logits: bool = False) -> torch.Tensor:
    """Element-wise binary cross-entropy between `target` in [0, 1] and `output`.

    Args:
        target: tensor of labels, same shape as `output`.
        output: probabilities (clipped to `[epsilon, 1 - epsilon]`) or, with `from_logits=True`, logits.
    """
    output, target = pair(output, target)
    _check_same_shape(target, output)
    if target.dtype != output.dtype:
        target = target.to(output.dtype)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    epsilon = config.epsilon()
    output = torch.clamp(output, epsilon, 1.0 - epsilon)
    # Written out rather than F.binary_cross_entropy, which refuses to run under autocast.
    return -(target * torch.log(output) + (1.0 - target) * torch.log(1.0 - output))


def categorical_crossentropy(
    target: ArrayLike, output: ArrayLike, from_logits: bool = False, axis: int = -1
) -> torch.Tensor:
    """Cross-entropy between one-hot (or soft) `target` and `output` along `axis`.

    Args:
        target: class probabilities, same shape as `output`.
        output: probabilities (renormalized, then clipped to `[epsilon, 1 - epsilon]`) or, with
            `from_logits=True`, logits.
        axis: the class axis.
    """
    output, target = pair(output, target)
    _check_same_shape(target, output)
    if len(output.shape) < 1:
        raise ValueError(f"`target` and `output` must be at least rank 1. Received: shape={output.shape}")
    if from_logits:
        log_prob = F.log_softmax(output, dim=axis)
    else:
        epsilon = config.epsilon()
        output = output / torch.sum(output, dim=axis, keepdim=True)
        log_prob = torch.log(torch.clamp(output, epsilon, 1.0 - epsilon))
    return -torch.sum(target * log_prob, dim=axis)


def sparse_categorical_crossentropy(
    target: ArrayLike, output: ArrayLike, from_logits: bool = False, axis: int = -1
) -> torch.Tensor:
    """Cross-entropy between integer class `target` and `output` along `axis`.

    Args:
        target: int class indices, shaped like `output` without `axis` (or with it of size 1).
        output: probabilities (renormalized, then clipped to `[epsilon, 1 - epsilon]`) or, with
            `from_logits=True`, logits.
        axis: the class axis of `output`.
    """
    output = tensor(output)
    target = convert(target, torch.int64, device=getattr(output, "device", None))
    if len(output.shape) < 1:
        raise ValueError(f"`output` must be at least rank 1. Received: output.shape={output.shape}")
    if len(target.shape) == len(output.shape) and target.shape[axis] == 1:
        target = torch.squeeze(target, axis)
    expected = list(output.shape)
    del expected[axis]
    if list(target.shape) != expected:
        raise ValueError(
            "`target` must have the shape of `output` without its class axis. "
            f"Received: target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    squeeze = output.ndim == 1
    if squeeze:
        output, target = torch.unsqueeze(output, 0), torch.unsqueeze(target, 0)
    else:
        output = torch.movedim(output, axis, 1)  # torch wants classes on axis 1
    if from_logits:
        loss = F.cross_entropy(output, target, reduction="none")
    else:
        epsilon = config.epsilon()
        output = output / torch.sum(output, dim=1, keepdim=True)
        loss = F.nll_loss(torch.log(torch.clamp(output, epsilon, 1.0 - epsilon)), target, reduction="none")
    return torch.squeeze(loss, 0) if squeeze else loss


def _check_same_shape(target: Any, output: Any) -> None:
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError(
            "`target` and `output` must have the same shape. "
            f"Received: target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
