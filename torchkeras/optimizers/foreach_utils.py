"""Multi-tensor (`torch._foreach_*`) helpers shared by the optimizers: clipping and scaled updates.

A scale may be a Python float (the fast path, passed straight to the kernels) or a 0-d tensor
(a learning rate computed on the device by a schedule); no helper ever reads a tensor on the host.
"""

from __future__ import annotations

import torch

__all__ = [
    "Scale",
    "add_scaled_",
    "addcdiv_scaled_",
    "clip_by_global_norm",
    "clip_by_norm",
    "clip_by_value",
    "clip_gradients",
]

Scale = float | torch.Tensor
TensorList = list[torch.Tensor]


def add_scaled_(targets: TensorList, tensors: TensorList, scale: Scale) -> None:
    """`targets += scale * tensors`, in place."""
    if isinstance(scale, torch.Tensor):
        torch._foreach_add_(targets, torch._foreach_mul(tensors, scale))
    else:
        torch._foreach_add_(targets, tensors, alpha=scale)


def addcdiv_scaled_(
    targets: TensorList, numerators: TensorList, denominators: TensorList, scale: Scale
) -> None:
    """`targets += scale * numerators / denominators`, in place."""
    if isinstance(scale, torch.Tensor):
        update = torch._foreach_div(numerators, denominators)
        torch._foreach_mul_(update, scale)
        torch._foreach_add_(targets, update)
    else:
        torch._foreach_addcdiv_(targets, numerators, denominators, value=scale)


def clip_by_norm(grads: TensorList, clipnorm: float) -> TensorList:
    """Rescales each gradient so that its own L2 norm is at most `clipnorm` (zero norms stay)."""
    norms = list(torch._foreach_norm(grads))
    torch._foreach_clamp_min_(norms, clipnorm)
    clipped = list(torch._foreach_mul(grads, clipnorm))
    torch._foreach_div_(clipped, norms)
    return clipped


def clip_by_global_norm(grads: TensorList, clipnorm: float) -> TensorList:
    """Rescales all gradients together so that their joint L2 norm is at most `clipnorm`.

    As in Keras, a non-finite joint norm turns every gradient into NaN.
    """
    norms = torch._foreach_norm(grads)
    total = torch.linalg.vector_norm(torch.stack(norms))
    scale = clipnorm * torch.clamp_max(total.reciprocal(), 1.0 / clipnorm)
    scale = scale + (total - total)
    return list(torch._foreach_mul(grads, scale))


def clip_by_value(grads: TensorList, clipvalue: float) -> TensorList:
    """Clips every gradient element to `[-clipvalue, clipvalue]`."""
    clipped = list(torch._foreach_clamp_min(grads, -clipvalue))
    torch._foreach_clamp_max_(clipped, clipvalue)
    return clipped


def clip_gradients(
    grads: TensorList, clipnorm: float | None, global_clipnorm: float | None, clipvalue: float | None
) -> TensorList:
    """Applies the one clipping option that is set (and > 0), as Keras's optimizers do."""
    if clipnorm and clipnorm > 0:
        return clip_by_norm(grads, clipnorm)
    if global_clipnorm and global_clipnorm > 0:
        return clip_by_global_norm(grads, global_clipnorm)
    if clipvalue and clipvalue > 0:
        return clip_by_value(grads, clipvalue)
    return grads
