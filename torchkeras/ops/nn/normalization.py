"""Normalization ops (`keras.ops.nn`): moments, batch, layer and RMS normalization, `normalize`."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from torchkeras import config
from torchkeras.ops._convert import ArrayLike, floatx_dtype, tensor
from torchkeras.ops._symbolic import symbolic_op

__all__ = ["batch_normalization", "layer_normalization", "moments", "normalize", "rms_normalization"]


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


@symbolic_op
def batch_normalization(
    x: ArrayLike,
    mean: ArrayLike,
    variance: ArrayLike,
    axis: int,
    offset: ArrayLike | None = None,
    scale: ArrayLike | None = None,
    epsilon: float = 1e-3,
) -> torch.Tensor:
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, the 1-D statistics laid along `axis`.

    Args:
        x: input tensor.
        mean, variance: 1-D tensors of size `x.shape[axis]`.
        axis: the feature axis of `x`.
        offset, scale: optional 1-D tensors (beta and gamma).
        epsilon: added to the variance.
    """
    x = tensor(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def laid(value: ArrayLike) -> torch.Tensor:
        return torch.reshape(_like(value, x), shape)

    inverse = torch.rsqrt(laid(variance) + epsilon)
    if scale is not None:
        inverse = inverse * laid(scale)
    outputs = (x - laid(mean)) * inverse
    return outputs if offset is None else outputs + laid(offset)


@symbolic_op
def layer_normalization(
    x: ArrayLike,
    gamma: ArrayLike | None = None,
    beta: ArrayLike | None = None,
    axis: int | Sequence[int] = -1,
    epsilon: float | None = None,
    **kwargs: object,
) -> torch.Tensor:
    """Normalizes `x` to zero mean and unit variance over `axis`, then `* gamma + beta`.

    Half floats are computed in float32 and cast back.

    Args:
        x: input tensor.
        gamma, beta: optional scale and offset, shaped like the normalized axes.
        axis: an axis or a list of axes.
        epsilon: added to the variance; defaults to `config.epsilon()`.
    """
    if kwargs.pop("rms_scaling", False):
        raise ValueError("`rms_scaling=True` is deprecated in Keras; use `rms_normalization` instead.")
    if kwargs:
        raise TypeError(f"layer_normalization() got unexpected keyword arguments: {sorted(kwargs)}")
    x, original = _computed(tensor(x))
    epsilon = config.epsilon() if epsilon is None else epsilon
    axes = sorted(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    gamma = None if gamma is None else _like(gamma, x)
    beta = None if beta is None else _like(beta, x)
    if axes == list(range(axes[0], x.ndim)):  # trailing axes: torch's fused kernel
        shape = tuple(x.shape[a] for a in axes)
        gamma = None if gamma is None else torch.reshape(gamma, shape)
        beta = None if beta is None else torch.reshape(beta, shape)
        return F.layer_norm(x, shape, gamma, beta, epsilon).to(original)
    mean = torch.mean(x, dim=axes, keepdim=True)
    variance = torch.var(x, dim=axes, unbiased=False, keepdim=True)
    outputs = (x - mean) * torch.rsqrt(variance + epsilon)
    broadcast = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    if gamma is not None:
        outputs = outputs * torch.reshape(gamma, broadcast)
    if beta is not None:
        outputs = outputs + torch.reshape(beta, broadcast)
    return outputs.to(original)


@symbolic_op
def rms_normalization(
    x: ArrayLike, scale: ArrayLike | None = None, axis: int | Sequence[int] = -1, epsilon: float | None = None
) -> torch.Tensor:
    """`x / sqrt(mean(x**2) + epsilon) * scale` over `axis` (half floats computed in float32).

    Args:
        x: input tensor.
        scale: optional multiplier, shaped like the normalized axes.
        axis: an axis or a list of axes.
        epsilon: added to the mean square; defaults to `config.epsilon()`.
    """
    x, original = _computed(tensor(x))
    if x.ndim == 0:
        x = torch.unsqueeze(x, 0)
    epsilon = config.epsilon() if epsilon is None else epsilon
    axes = sorted(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    outputs = x * torch.rsqrt(torch.mean(torch.square(x), dim=axes, keepdim=True) + epsilon)
    if scale is not None:
        broadcast = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
        outputs = outputs * torch.reshape(_like(scale, x), broadcast)
    return outputs.to(original)


def _computed(x: torch.Tensor) -> tuple[torch.Tensor, torch.dtype]:
    """`x` in at least float32 (Keras computes normalizations there), and its original dtype."""
    if x.dtype in (torch.float32, torch.float64):
        return x, x.dtype
    return x.to(torch.float32), x.dtype if x.dtype.is_floating_point else torch.float32


def _like(value: ArrayLike, x: torch.Tensor) -> torch.Tensor:
    value = tensor(value)
    return value.to(device=x.device, dtype=x.dtype)
