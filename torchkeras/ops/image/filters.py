"""Image filters (`keras.ops.image`): Gaussian blur and Sobel edges."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from torchkeras.ops._convert import ArrayLike
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.ops.image._layout import ImageBatch

__all__ = ["gaussian_blur", "gaussian_kernel_1d", "sobel_edges"]


def gaussian_kernel_1d(
    size: int, sigma: float | torch.Tensor, dtype: torch.dtype, device: object
) -> torch.Tensor:
    """A normalized Gaussian of `size` taps, centred."""
    offsets = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    taps = torch.exp(-0.5 * torch.square(offsets / torch.as_tensor(sigma, dtype=dtype, device=device)))
    return taps / torch.sum(taps)


def _pair(value: int | float | Sequence, argument: str) -> tuple:
    if isinstance(value, (int, float)):
        return (value, value)
    values = tuple(value)
    if len(values) != 2:
        raise ValueError(
            f"`{argument}` must be a number or a pair (height, width). Received: {argument}={value!r}"
        )
    return values


@symbolic_op
def gaussian_blur(
    images: ArrayLike,
    kernel_size: int | Sequence[int] = (3, 3),
    sigma: float | Sequence[float] = (1.0, 1.0),
    data_format: str | None = None,
) -> torch.Tensor:
    """Blurs each channel with a Gaussian kernel; zero padding keeps the image size.

    Args:
        images: one image or a batch (float).
        kernel_size: `(height, width)` of the kernel (odd sizes keep the image centred).
        sigma: `(height, width)` standard deviations.
        data_format: default `config.image_data_format()`.
    """
    batch = ImageBatch(images, data_format)
    x = batch.channels_first()
    height, width = (int(k) for k in _pair(kernel_size, "kernel_size"))
    sigma_h, sigma_w = _pair(sigma, "sigma")
    dtype = x.dtype if x.dtype.is_floating_point else torch.float32
    kernel = torch.outer(
        gaussian_kernel_1d(height, sigma_h, dtype, x.device),
        gaussian_kernel_1d(width, sigma_w, dtype, x.device),
    )
    channels = x.shape[1]
    weight = kernel.expand(channels, 1, height, width)
    blurred = F.conv2d(x.to(dtype), weight, padding=(height // 2, width // 2), groups=channels)
    return batch.from_channels_first(blurred.to(x.dtype) if x.dtype.is_floating_point else blurred)


@symbolic_op
def sobel_edges(images: ArrayLike, data_format: str | None = None) -> torch.Tensor:
    """Sobel gradients of each channel (zero padding): `(..., channels, 2)` holding `(d/dy, d/dx)`.

    Args:
        images: a batch `(N, H, W, C)` (channels_last) or `(N, C, H, W)`.
        data_format: default `config.image_data_format()`.
    """
    batch = ImageBatch(images, data_format)
    x = batch.channels_first()
    channels = x.shape[1]
    dx = torch.tensor([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=x.dtype, device=x.device)
    kernels = torch.stack([dx.T, dx])[:, None].repeat(channels, 1, 1, 1)  # (2C, 1, 3, 3): dy, dx per channel
    edges = F.conv2d(x, kernels, padding=1, groups=channels)
    n, _, h, w = edges.shape
    edges = edges.reshape(n, channels, 2, h, w)
    if batch.data_format == "channels_last":
        edges = edges.permute(0, 3, 4, 1, 2)
    else:
        edges = edges.permute(0, 1, 3, 4, 2)
    return edges[0] if batch.unbatched else edges
