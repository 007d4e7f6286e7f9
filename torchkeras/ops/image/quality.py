"""Image similarity (`keras.ops.image.ssim`)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from torchkeras.ops._convert import ArrayLike
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.ops.image._layout import ImageBatch
from torchkeras.ops.image.filters import gaussian_kernel_1d

__all__ = ["ssim"]


@symbolic_op
def ssim(
    image1: ArrayLike,
    image2: ArrayLike,
    max_val: float = 1.0,
    filter_size: int = 11,
    filter_sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    data_format: str | None = None,
) -> torch.Tensor:
    """Structural similarity of two images (Wang et al., 2004), averaged over positions and channels.

    Local statistics use a `filter_size` Gaussian window (no padding).

    Args:
        image1, image2: images or batches of the same shape.
        max_val: the dynamic range (1.0 for [0, 1] images, 255 for bytes).
        filter_size, filter_sigma: the Gaussian window.
        k1, k2: the stabilizing constants' factors.
        data_format: default `config.image_data_format()`.

    Returns:
        One value per image: `(batch,)`, or a scalar for a single image.
    """
    first, second = ImageBatch(image1, data_format, "image1"), ImageBatch(image2, data_format, "image2")
    a, b = first.channels_first(), second.channels_first()
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"`image1` and `image2` must have the same shape. Received: {tuple(first.images.shape)} "
            f"and {tuple(second.images.shape)}"
        )
    original = a.dtype
    dtype = original if original.is_floating_point else torch.float32
    a, b = a.to(dtype), b.to(dtype)
    n, c, h, w = a.shape
    taps = gaussian_kernel_1d(filter_size, filter_sigma, dtype, a.device)
    window = torch.outer(taps, taps)[None, None]

    def local_mean(x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(torch.reshape(x, (n * c, 1, h, w)), window)

    mean_a, mean_b = local_mean(a), local_mean(b)
    var_a = local_mean(a * a) - mean_a * mean_a
    var_b = local_mean(b * b) - mean_b * mean_b
    covariance = local_mean(a * b) - mean_a * mean_b
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    index = ((2 * mean_a * mean_b + c1) * (2 * covariance + c2)) / (
        (mean_a * mean_a + mean_b * mean_b + c1) * (var_a + var_b + c2)
    )
    per_image = torch.mean(torch.reshape(index, (n, -1)), dim=-1)
    per_image = per_image.to(original) if original.is_floating_point else per_image
    return per_image[0] if first.unbatched else per_image
