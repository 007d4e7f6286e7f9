"""Built-in activation functions.

Where `torchkeras.ops` has the function (softmax, sigmoid, gelu, ...), the activation calls it:
one formula per concept, Keras's activation defaults on top. The others are written here with
`torch` / `torch.nn.functional` calls (never tensor methods or Python branches on values), so
they also work on symbolic tensors that implement `__torch_function__`. Array-likes (lists,
NumPy arrays) are converted as `ops` converts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchkeras.ops import nn as nn_ops
from torchkeras.ops._convert import tensor as _tensor  # Keras's activations convert as ops do

__all__ = [
    "celu",
    "elu",
    "exponential",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
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
    "tanh",
    "tanh_shrink",
    "threshold",
]

Axis = int | Sequence[int] | None


def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0) -> Any:
    """Rectified linear unit, with Keras's optional leak, cap and threshold.

    With the defaults this is `max(x, 0)`. Values above `threshold` pass through (then are clipped to
    `[0, max_value]` when `max_value` is set); values at or below it become
    `negative_slope * (x - threshold)`.

    Args:
        x: input tensor.
        negative_slope: slope for values below `threshold`.
        max_value: largest value returned, or `None` for no cap.
        threshold: values at or below it are damped (or zeroed).

    Returns:
        A tensor of the shape and dtype of `x`.
    """
    x = _tensor(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return F.leaky_relu(x, negative_slope)
    if threshold == 0 and max_value is None and negative_slope == 0.0:
        return torch.relu(x)  # the default, on every step
    y = torch.where(torch.gt(x, threshold), x, 0.0) if threshold != 0 else F.relu(x)
    if max_value is not None:
        y = torch.clamp(y, 0.0, max_value)
    if negative_slope != 0.0:
        y = torch.sub(y, F.relu(torch.sub(threshold, x)), alpha=negative_slope)
    return y


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """Leaky ReLU: `x` if `x >= 0`, else `negative_slope * x` (default slope 0.2, as Keras)."""
    return nn_ops.leaky_relu(x, negative_slope)


def relu6(x: Any) -> Any:
    """ReLU capped at 6: `min(max(x, 0), 6)`."""
    return nn_ops.relu6(x)


def softmax(x: Any, axis: Axis = -1) -> Any:
    """Softmax, `exp(x) / sum(exp(x))` along `axis` (an int, a tuple of ints, or `None` for all).

    Each slice along `axis` becomes a probability distribution (values in `[0, 1]` summing to 1).
    """
    return nn_ops.softmax(x, axis)


def log_softmax(x: Any, axis: Axis = -1) -> Any:
    """Log of the softmax along `axis`, computed stably as `x - logsumexp(x)`."""
    return nn_ops.log_softmax(x, axis)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit: `x` if `x > 0`, else `alpha * (exp(x) - 1)`."""
    return nn_ops.elu(x, alpha)


def selu(x: Any) -> Any:
    """Scaled ELU: `scale * elu(x, alpha)` with `alpha ~ 1.6733` and `scale ~ 1.0507`.

    Pair it with the `lecun_normal` initializer and `AlphaDropout`.
    """
    return nn_ops.selu(x)


def celu(x: Any, alpha: float = 1.0) -> Any:
    """Continuously differentiable ELU: `x` if `x >= 0`, else `alpha * (exp(x / alpha) - 1)`."""
    return F.celu(_tensor(x), alpha)


def softplus(x: Any) -> Any:
    """Softplus, `log(exp(x) + 1)`."""
    return nn_ops.softplus(x)


def softsign(x: Any) -> Any:
    """Softsign, `x / (abs(x) + 1)`."""
    return nn_ops.softsign(x)


def squareplus(x: Any, b: float = 4) -> Any:
    """Squareplus, `(x + sqrt(x**2 + b)) / 2`; `b` sets how smooth the bend at 0 is."""
    x = _tensor(x)
    return torch.div(torch.add(x, torch.sqrt(torch.add(torch.square(x), b))), 2)


def sparse_plus(x: Any) -> Any:
    """SparsePlus: 0 for `x <= -1`, `(x + 1)**2 / 4` for `-1 < x < 1`, `x` for `x >= 1`."""
    x = _tensor(x)
    quadratic = torch.mul(torch.square(torch.add(x, 1)), 0.25)
    return torch.where(torch.le(x, -1), 0.0, torch.where(torch.lt(x, 1), quadratic, x))


def silu(x: Any) -> Any:
    """SiLU, also called swish: `x * sigmoid(x)`."""
    return nn_ops.silu(x)


def gelu(x: Any, approximate: bool = False) -> Any:
    """Gaussian error linear unit, `x * P(X <= x)` for `X ~ N(0, 1)`.

    Args:
        x: input tensor.
        approximate: if `True`, use the tanh approximation; by default the exact `erf` form.
    """
    return nn_ops.gelu(x, approximate)


def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: splits `x` in halves `a, b` along `axis` and returns `a * sigmoid(b)`."""
    return F.glu(_tensor(x), dim=axis)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    return torch.tanh(_tensor(x))


def tanh_shrink(x: Any) -> Any:
    """Tanh shrink, `x - tanh(x)`."""
    return F.tanhshrink(_tensor(x))


def hard_tanh(x: Any) -> Any:
    """Hard tanh: `x` clipped to `[-1, 1]`."""
    return F.hardtanh(_tensor(x), -1.0, 1.0)


def hard_shrink(x: Any, threshold: float = 0.5) -> Any:
    """Hard shrink: `x` where `abs(x) > threshold`, else 0."""
    return F.hardshrink(_tensor(x), threshold)


def soft_shrink(x: Any, threshold: float = 0.5) -> Any:
    """Soft shrink: `x` moved `threshold` towards 0, and 0 where `abs(x) <= threshold`."""
    return F.softshrink(_tensor(x), threshold)


def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """`x` where `x > threshold`, else `default_value`."""
    return F.threshold(_tensor(x), threshold, default_value)


def sigmoid(x: Any) -> Any:
    """Sigmoid, `1 / (1 + exp(-x))`: values in `(0, 1)`."""
    return nn_ops.sigmoid(x)


def log_sigmoid(x: Any) -> Any:
    """Log of the sigmoid, `-softplus(-x)`, computed stably."""
    return nn_ops.log_sigmoid(x)


def sparse_sigmoid(x: Any) -> Any:
    """Sparse sigmoid: 0 for `x <= -1`, `(x + 1) / 2` for `-1 < x < 1`, 1 for `x >= 1`."""
    x = _tensor(x)
    middle = torch.mul(torch.add(x, 1), 0.5)
    return torch.where(torch.le(x, -1), 0.0, torch.where(torch.ge(x, 1), 1.0, middle))


def hard_sigmoid(x: Any) -> Any:
    """Hard sigmoid, a piecewise-linear sigmoid: `x / 6 + 0.5` clipped to `[0, 1]`."""
    return nn_ops.hard_sigmoid(x)


def hard_silu(x: Any) -> Any:
    """Hard SiLU (hard swish): `x * hard_sigmoid(x)`, i.e. 0 below -3, `x` above 3."""
    return nn_ops.hard_silu(x)


def exponential(x: Any) -> Any:
    """Exponential, `exp(x)`."""
    return torch.exp(_tensor(x))


def linear(x: Any) -> Any:
    """Identity: returns `x` unchanged (the activation of `activation=None`)."""
    return x


def mish(x: Any) -> Any:
    """Mish, `x * tanh(softplus(x))`."""
    return F.mish(_tensor(x))


def sparsemax(x: Any, axis: int = -1) -> Any:
    """Sparsemax: the Euclidean projection of `x` onto the probability simplex along `axis`.

    Like softmax its slices sum to 1, but small logits get exactly 0.
    """
    x = _tensor(x)
    ranked = torch.sort(x, dim=axis, descending=True)[0]
    cumulative = torch.cumsum(ranked, dim=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    ks = torch.reshape(torch.arange(1, x.shape[axis] + 1, dtype=x.dtype, device=x.device), shape)
    support = torch.gt(ranked, torch.div(torch.sub(cumulative, 1), ks))
    size = torch.sum(support, dim=axis, keepdim=True)
    total = torch.sum(torch.where(support, ranked, 0.0), dim=axis, keepdim=True)  # = cumulative[k - 1]
    tau = torch.div(torch.sub(total, 1), size)
    return torch.clamp(torch.sub(x, tau), min=0.0)


swish = silu
hard_swish = hard_silu
