"""Convolutions (`keras.ops.nn`): plain, transposed, depthwise and separable, on Keras's layouts.

Kernels come in Keras's layout (`(*kernel_size, in, out)`; transposed: `(*kernel_size, out, in)`)
and inputs in `data_format` (default `config.image_data_format()`); "same" padding puts an odd
extra cell at the end, as TensorFlow does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from torchkeras import config
from torchkeras.ops._convert import ArrayLike, tensor
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.utils.shapes import conv_transpose_crops, same_padding, standardize_tuple
from torchkeras.utils.validation import check_choice

__all__ = ["conv", "conv_transpose", "depthwise_conv", "separable_conv"]

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
IntOrTuple = int | Sequence[int]


def data_format_of(data_format: str | None) -> str:
    """`data_format`, or `config.image_data_format()` when None; checked."""
    if data_format is None:
        return config.image_data_format()
    return check_choice(data_format, ("channels_last", "channels_first"), "data_format")


def channels_first(inputs: torch.Tensor, data_format: str) -> torch.Tensor:
    """`inputs` viewed channels-first; checks that it has 1 to 3 spatial axes."""
    if not 3 <= inputs.ndim <= 5:
        raise ValueError(
            "`inputs` must have rank 3, 4 or 5 (batch, 1 to 3 spatial axes, channels). "
            f"Received: inputs.shape={tuple(inputs.shape)}"
        )
    return inputs.movedim(-1, 1) if data_format == "channels_last" else inputs


def back_to(outputs: torch.Tensor, data_format: str) -> torch.Tensor:
    """Channels-first `outputs` viewed back in `data_format`."""
    return outputs.movedim(1, -1) if data_format == "channels_last" else outputs


def _same_pad(
    inputs: torch.Tensor, kernel_size: Sequence[int], strides: Sequence[int], dilation: Sequence[int]
) -> tuple[torch.Tensor, tuple[int, ...] | int]:
    """Keras's "same" padding of channels-first `inputs`: symmetric amounts go to torch, the rest
    is padded here."""
    pads = [same_padding(n, k, s, d) for n, k, s, d in zip(inputs.shape[2:], kernel_size, strides, dilation)]
    if all(left == right for left, right in pads):
        return inputs, tuple(left for left, _ in pads)
    return F.pad(inputs, [amount for pair in reversed(pads) for amount in pair]), 0


def _convolve(
    inputs: torch.Tensor,
    weight: torch.Tensor,
    strides: IntOrTuple,
    padding: str,
    dilation_rate: IntOrTuple,
    groups: int,
) -> torch.Tensor:
    """Convolution of channels-first `inputs` with a torch-layout `weight`."""
    rank = inputs.ndim - 2
    strides = standardize_tuple(strides, rank, "strides")
    dilation = standardize_tuple(dilation_rate, rank, "dilation_rate")
    padding = check_choice(padding, ("valid", "same"), "padding")
    amount: tuple[int, ...] | int = 0
    if padding == "same":
        inputs, amount = _same_pad(inputs, weight.shape[2:], strides, dilation)
    if weight.dtype != inputs.dtype:
        weight = weight.to(inputs.dtype)
    return _CONV[rank](inputs, weight, None, strides, amount, dilation, groups)


def _torch_kernel(kernel: torch.Tensor) -> torch.Tensor:
    """`(*kernel_size, a, b)` -> `(b, a, *kernel_size)`."""
    rank = kernel.ndim - 2
    return torch.permute(kernel, (rank + 1, rank, *range(rank)))


@symbolic_op
def conv(
    inputs: ArrayLike,
    kernel: ArrayLike,
    strides: IntOrTuple = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: IntOrTuple = 1,
) -> torch.Tensor:
    """N-D convolution (1 to 3 spatial axes).

    Args:
        inputs: `(batch, *spatial, channels)` (channels_last) or `(batch, channels, *spatial)`.
        kernel: `(*kernel_size, channels / groups, filters)`; groups are `channels // kernel.shape[-2]`.
        strides, dilation_rate: an int or one per spatial axis.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`; default `config.image_data_format()`.
    """
    data_format = data_format_of(data_format)
    x = channels_first(tensor(inputs), data_format)
    kernel = tensor(kernel)
    if kernel.ndim != x.ndim:
        raise ValueError(
            f"`kernel` must have rank {x.ndim} (*kernel_size, in_channels, filters), as `inputs`. "
            f"Received: kernel.shape={tuple(kernel.shape)}"
        )
    channels, per_group = x.shape[1], kernel.shape[-2]
    if channels % per_group:
        raise ValueError(
            f"The input channels ({channels}) must be a multiple of kernel.shape[-2] ({per_group}). "
            f"Received: kernel.shape={tuple(kernel.shape)}"
        )
    out = _convolve(x, _torch_kernel(kernel), strides, padding, dilation_rate, channels // per_group)
    return back_to(out, data_format)


@symbolic_op
def depthwise_conv(
    inputs: ArrayLike,
    kernel: ArrayLike,
    strides: IntOrTuple = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: IntOrTuple = 1,
) -> torch.Tensor:
    """Depthwise convolution: each input channel convolved with its own `multiplier` filters.

    Args:
        inputs: as for `conv`.
        kernel: `(*kernel_size, channels, multiplier)`; the output has `channels * multiplier`
            channels, channel-major.
        strides, padding, data_format, dilation_rate: as for `conv`.
    """
    data_format = data_format_of(data_format)
    x = channels_first(tensor(inputs), data_format)
    kernel = tensor(kernel)
    rank = x.ndim - 2
    if kernel.ndim != x.ndim or kernel.shape[-2] != x.shape[1]:
        raise ValueError(
            f"`kernel` must be (*kernel_size, {x.shape[1]}, multiplier) with {rank} spatial axes. "
            f"Received: kernel.shape={tuple(kernel.shape)}"
        )
    flat = torch.reshape(kernel, (*kernel.shape[:rank], 1, kernel.shape[-2] * kernel.shape[-1]))
    out = _convolve(x, _torch_kernel(flat), strides, padding, dilation_rate, x.shape[1])
    return back_to(out, data_format)


@symbolic_op
def separable_conv(
    inputs: ArrayLike,
    depthwise_kernel: ArrayLike,
    pointwise_kernel: ArrayLike,
    strides: IntOrTuple = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: IntOrTuple = 1,
) -> torch.Tensor:
    """A depthwise convolution followed by a 1x1 convolution mixing the channels.

    Args:
        inputs: as for `conv`.
        depthwise_kernel: `(*kernel_size, channels, multiplier)`.
        pointwise_kernel: `(*(1,) * rank, channels * multiplier, filters)`.
        strides, padding, data_format, dilation_rate: of the depthwise step.
    """
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


@symbolic_op
def conv_transpose(
    inputs: ArrayLike,
    kernel: ArrayLike,
    strides: IntOrTuple = 1,
    padding: str = "valid",
    output_padding: IntOrTuple | None = None,
    data_format: str | None = None,
    dilation_rate: IntOrTuple = 1,
) -> torch.Tensor:
    """N-D transposed convolution (the gradient of `conv` with respect to its input).

    Args:
        inputs: as for `conv`.
        kernel: `(*kernel_size, filters, in_channels)`.
        strides, dilation_rate: an int or one per spatial axis.
        padding: `"valid"` or `"same"`.
        output_padding: extra cells at the end of each spatial axis (less than the stride), or None
            for Keras's default output length.
        data_format: as for `conv`.
    """
    data_format = data_format_of(data_format)
    x = channels_first(tensor(inputs), data_format)
    kernel = tensor(kernel)
    rank = x.ndim - 2
    if kernel.ndim != x.ndim or kernel.shape[-1] != x.shape[1]:
        raise ValueError(
            f"`kernel` must be (*kernel_size, filters, {x.shape[1]}) with {rank} spatial axes. "
            f"Received: kernel.shape={tuple(kernel.shape)}"
        )
    strides = standardize_tuple(strides, rank, "strides")
    dilation = standardize_tuple(dilation_rate, rank, "dilation_rate")
    padding = check_choice(padding, ("valid", "same"), "padding")
    extra = (
        None
        if output_padding is None
        else standardize_tuple(output_padding, rank, "output_padding", allow_zero=True)
    )
    crops = [
        conv_transpose_crops(
            kernel.shape[i], strides[i], padding, None if extra is None else extra[i], dilation[i]
        )
        for i in range(rank)
    ]
    # Torch computes the full transposed convolution cropped by a symmetric `padding`; the rest of
    # Keras's crop (or the zeros it adds) is applied here.
    symmetric = [max(0, min(left, right)) for left, right in crops]
    weight = torch.permute(kernel, (rank + 1, rank, *range(rank))).to(x.dtype)
    out = _CONV_TRANSPOSE[rank](x, weight, None, strides, tuple(symmetric), 0, 1, dilation)
    rest = [(left - s, right - s) for (left, right), s in zip(crops, symmetric)]
    if any(rest_pair != (0, 0) for rest_pair in rest):
        index = [slice(None), slice(None)]
        index += [
            slice(max(left, 0), size - max(right, 0)) for size, (left, right) in zip(out.shape[2:], rest)
        ]
        out = out[tuple(index)]
        zeros = [amount for left, right in reversed(rest) for amount in (max(-left, 0), max(-right, 0))]
        if any(zeros):
            out = F.pad(out, zeros)
    return back_to(out, data_format)
