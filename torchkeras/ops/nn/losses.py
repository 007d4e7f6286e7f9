"""Cross-entropies (`keras.ops.nn`): binary, categorical and sparse categorical."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras import config
from torchkeras.ops._convert import ArrayLike, convert, pair, tensor

__all__ = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"]


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
