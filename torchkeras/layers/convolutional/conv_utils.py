"""The torch side of the convolution layers: data formats, Keras's padding, the conv calls.

Channels-last inputs are never copied to NCHW: `movedim(-1, 1)` gives a view that torch reads
as an NCHW tensor in channels-last memory format, which its convolution kernels consume
directly, and the output is moved back the same way.

One choice of kernel is ours (`_pointwise_dilation`): on the CPU, torch runs an undilated,
unstrided 1x1 float32 convolution of a batch under 16 with one thread through its generic
matrix-product path, which its own comment calls faster single-threaded. For channels-last
memory it is not: oneDNN's kernel takes 0.5-0.9x its time, forward and backward (ResNet50's
1x1 convolutions, torch 2.13). A 1x1 kernel has one tap, so its dilation changes nothing in
the result, and a dilation of 2 makes torch choose oneDNN through the public `conv2d` (as it
already does with several threads or 16 images).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from torchkeras.utils.shapes import conv_transpose_crops, effective_kernel, same_padding

__all__ = [
    "check_inputs",
    "convolve",
    "convolve_transpose",
    "to_channels_first",
    "to_data_format",
]

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def to_channels_first(inputs: torch.Tensor, data_format: str) -> torch.Tensor:
    """A channels-first view of `inputs` (no copy)."""
    return inputs.movedim(-1, 1) if data_format == "channels_last" else inputs


def to_data_format(outputs: torch.Tensor, data_format: str) -> torch.Tensor:
    """The channels-first `outputs` viewed back in `data_format` (no copy)."""
    return outputs.movedim(1, -1) if data_format == "channels_last" else outputs


def check_inputs(
    shape: Sequence[int | None], rank: int, data_format: str, channels: int | None, owner: str
) -> None:
    """Raises a `ValueError` naming `owner` if `shape` has the wrong rank or channel count."""
    shape = tuple(shape)
    if len(shape) != rank + 2:
        layout = "(batch, *spatial, channels)"
        if data_format == "channels_first":
            layout = "(batch, channels, *spatial)"
        raise ValueError(
            f"{owner}: expected inputs of rank {rank + 2} {layout} with {rank} spatial dimensions. "
            f"Received: inputs.shape={shape}"
        )
    axis = -1 if data_format == "channels_last" else 1
    if channels is not None and shape[axis] != channels:
        raise ValueError(
            f"{owner}: expected inputs with {channels} channels on axis {axis} "
            f"(data_format='{data_format}'), as when the layer was built. Received: inputs.shape={shape}"
        )


def _pad(
    inputs: torch.Tensor,
    padding: str,
    kernel_size: Sequence[int],
    strides: Sequence[int],
    dilation_rate: Sequence[int],
) -> tuple[torch.Tensor, int | tuple[int, ...]]:
    """Applies Keras's padding to channels-first `inputs`.

    Returns the (possibly padded) inputs and the symmetric padding left for torch to apply.
    """
    if padding == "valid":
        return inputs, 0
    if padding == "causal":
        return F.pad(inputs, (effective_kernel(kernel_size[0], dilation_rate[0]) - 1, 0)), 0
    pads = [
        same_padding(length, k, s, d)
        for length, k, s, d in zip(inputs.shape[2:], kernel_size, strides, dilation_rate)
    ]
    if all(left == right for left, right in pads):
        return inputs, tuple(left for left, _ in pads)
    flat = [amount for pair in reversed(pads) for amount in pair]  # F.pad lists the last axis first
    return F.pad(inputs, flat), 0


def convolve(
    inputs: torch.Tensor,
    kernel: torch.Tensor,
    bias: torch.Tensor | None,
    strides: Sequence[int],
    padding: str,
    dilation_rate: Sequence[int],
    groups: int = 1,
) -> torch.Tensor:
    """Keras's convolution of channels-first `inputs` with a torch-layout `kernel`
    (`(out, in / groups, *kernel_size)`); "same" pads like Keras, the extra cell at the end."""
    rank = inputs.ndim - 2
    inputs, torch_padding = _pad(inputs, padding, kernel.shape[2:], strides, dilation_rate)
    dilation_rate = _pointwise_dilation(inputs, kernel, strides, dilation_rate, groups)
    return _CONV[rank](inputs, kernel, bias, tuple(strides), torch_padding, dilation_rate, groups)


def _pointwise_dilation(
    inputs: torch.Tensor,
    kernel: torch.Tensor,
    strides: Sequence[int],
    dilation_rate: Sequence[int],
    groups: int,
) -> tuple[int, ...]:
    """`dilation_rate`, or 2s for a channels-last float32 CPU 1x1 convolution (same result,
    oneDNN's faster kernel: see the module docstring)."""
    if inputs.ndim != 4 or groups != 1 or kernel.shape[2] != 1 or kernel.shape[3] != 1:
        return tuple(dilation_rate)  # the common case first: cheap checks only
    if (
        inputs.dtype == torch.float32
        and inputs.device.type == "cpu"
        and tuple(strides) == (1, 1)
        and tuple(dilation_rate) == (1, 1)
        and inputs.is_contiguous(memory_format=torch.channels_last)
        and not inputs.is_contiguous()
    ):
        return (2, 2)
    return tuple(dilation_rate)


def convolve_transpose(
    inputs: torch.Tensor,
    kernel: torch.Tensor,
    bias: torch.Tensor | None,
    strides: Sequence[int],
    padding: str,
    output_padding: Sequence[int] | None,
    dilation_rate: Sequence[int],
) -> torch.Tensor:
    """Keras's transposed convolution of channels-first `inputs` with a torch-layout `kernel`
    (`(in, out, *kernel_size)`).

    Keras's output is the full transposed convolution cropped by `conv_transpose_crops` on each
    side. Torch crops symmetrically (`padding`) and extends on the right (`output_padding`);
    whatever it cannot express is sliced off or zero-padded afterwards.
    """
    rank = inputs.ndim - 2
    torch_padding, torch_output_padding, rest = [], [], []
    for i in range(rank):
        left, right = conv_transpose_crops(
            kernel.shape[2 + i],
            strides[i],
            padding,
            None if output_padding is None else output_padding[i],
            dilation_rate[i],
        )
        symmetric = max(0, min(left, right))
        left, right = left - symmetric, right - symmetric
        extend = -right if 0 < -right < max(strides[i], dilation_rate[i]) else 0
        torch_padding.append(symmetric)
        torch_output_padding.append(extend)
        rest.append((left, right + extend))
    exact = all(pair == (0, 0) for pair in rest)
    outputs = _CONV_TRANSPOSE[rank](
        inputs,
        kernel,
        bias if exact else None,
        tuple(strides),
        tuple(torch_padding),
        tuple(torch_output_padding),
        1,
        tuple(dilation_rate),
    )
    if exact:
        return outputs
    crop = [slice(None), slice(None)]
    for size, (left, right) in zip(outputs.shape[2:], rest):
        crop.append(slice(max(left, 0), size - max(right, 0)))
    outputs = outputs[tuple(crop)]
    zeros = [amount for left, right in reversed(rest) for amount in (max(-left, 0), max(-right, 0))]
    if any(zeros):
        outputs = F.pad(outputs, zeros)
    if bias is not None:
        outputs = outputs + bias.view(-1, *(1,) * rank)
    return outputs
