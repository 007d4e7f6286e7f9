"""Moving pixels between space and channels (`keras.ops.nn`): unfold, fold, depth/space blocks."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from torchkeras.ops._convert import ArrayLike, tensor
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.utils.validation import check_choice, check_positive_int

__all__ = ["depth_to_space", "fold", "space_to_depth", "unfold"]

IntOrPair = int | Sequence[int]


@symbolic_op
def unfold(
    x: ArrayLike,
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> torch.Tensor:
    """Sliding blocks of a channels-first image `(N, C, H, W)` as columns `(N, C * kh * kw, L)`,
    as `torch.nn.functional.unfold`."""
    return F.unfold(tensor(x), kernel_size, dilation, padding, stride)


@symbolic_op
def fold(
    x: ArrayLike,
    output_size: IntOrPair,
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> torch.Tensor:
    """The inverse layout of `unfold`: columns `(N, C * kh * kw, L)` summed back into an image
    `(N, C, *output_size)`, as `torch.nn.functional.fold`."""
    return F.fold(tensor(x), output_size, kernel_size, dilation, padding, stride)


def _checked(x: ArrayLike, block_size: int, data_format: str) -> tuple[torch.Tensor, str]:
    check_positive_int(block_size, "block_size")
    data_format = check_choice(data_format, ("channels_last", "channels_first"), "data_format")
    x = tensor(x)
    if x.ndim != 4:
        raise ValueError(f"`x` must be a 4-D image batch. Received: x.shape={tuple(x.shape)}")
    return x, data_format


@symbolic_op
def depth_to_space(x: ArrayLike, block_size: int, data_format: str = "channels_last") -> torch.Tensor:
    """Moves channel blocks into `block_size x block_size` spatial blocks: `(N, H, W, C)` ->
    `(N, H * b, W * b, C / b**2)` (TensorFlow's order)."""
    x, data_format = _checked(x, block_size, data_format)
    b = block_size
    if data_format == "channels_first":  # channels split as (C / b**2, b, b), as Keras does
        n, c, h, w = x.shape
        _check_divisible(c, b * b, "channels", "block_size**2")
        blocks = torch.reshape(x, (n, c // (b * b), b, b, h, w)).permute(0, 1, 4, 2, 5, 3)
        return torch.reshape(blocks, (n, c // (b * b), h * b, w * b))
    n, h, w, c = x.shape
    _check_divisible(c, b * b, "channels", "block_size**2")
    blocks = torch.reshape(x, (n, h, w, block_size, block_size, c // block_size**2))
    return torch.reshape(blocks.permute(0, 1, 3, 2, 4, 5), (n, h * block_size, w * block_size, -1))


@symbolic_op
def space_to_depth(x: ArrayLike, block_size: int, data_format: str = "channels_last") -> torch.Tensor:
    """The inverse of `depth_to_space`: `(N, H, W, C)` -> `(N, H / b, W / b, C * b**2)`."""
    x, data_format = _checked(x, block_size, data_format)
    b = block_size
    if data_format == "channels_first":
        n, c, h, w = x.shape
        _check_divisible(h, b, "height", "block_size")
        _check_divisible(w, b, "width", "block_size")
        blocks = torch.reshape(x, (n, c, h // b, b, w // b, b)).permute(0, 1, 3, 5, 2, 4)
        return torch.reshape(blocks, (n, c * b * b, h // b, w // b))
    n, h, w, c = x.shape
    _check_divisible(h, b, "height", "block_size")
    _check_divisible(w, b, "width", "block_size")
    blocks = torch.reshape(x, (n, h // block_size, block_size, w // block_size, block_size, c))
    return torch.reshape(blocks.permute(0, 1, 3, 2, 4, 5), (n, h // block_size, w // block_size, -1))


def _check_divisible(size: int, divisor: int, what: str, by: str) -> None:
    if size % divisor:
        raise ValueError(f"The {what} of `x` ({size}) must be divisible by {by} ({divisor}).")
