"""Peak signal-to-noise ratio (`keras.ops.nn.psnr`)."""

from __future__ import annotations

import torch

from torchkeras.ops._convert import ArrayLike, pair
from torchkeras.ops._symbolic import symbolic_op

__all__ = ["psnr"]


@symbolic_op
def psnr(x1: ArrayLike, x2: ArrayLike, max_val: float | ArrayLike) -> torch.Tensor:
    """`20 * log10(max_val) - 10 * log10(mean((x1 - x2)**2))`, over all elements, in decibels.

    Args:
        x1, x2: tensors of the same shape (e.g. two image batches).
        max_val: the largest possible value (1.0 for images in [0, 1], 255 for bytes).
    """
    x1, x2 = pair(x1, x2)
    if tuple(x1.shape) != tuple(x2.shape):
        raise ValueError(
            "`x1` and `x2` must have the same shape. "
            f"Received: x1.shape={tuple(x1.shape)}, x2.shape={tuple(x2.shape)}"
        )
    max_val = torch.as_tensor(max_val, dtype=x1.dtype, device=x1.device)
    return 20 * torch.log10(max_val) - 10 * torch.log10(torch.mean(torch.square(x1 - x2)))
