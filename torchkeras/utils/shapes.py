"""Shape arithmetic shared by layers: argument tuples, padding amounts, output lengths.

Plain integers in, plain integers out (`None` stands for an unknown length), so the same
functions serve `build`, `call` and `compute_output_shape`.
"""

from __future__ import annotations

from typing import Any

from torchkeras.utils.validation import invalid

__all__ = [
    "conv_output_length",
    "conv_transpose_crops",
    "conv_transpose_output_length",
    "effective_kernel",
    "same_padding",
    "spatial_output_shape",
    "standardize_tuple",
]


def standardize_tuple(
    value: Any, n: int, argument: str, owner: str | None = None, allow_zero: bool = False
) -> tuple[int, ...]:
    """Returns `value` (an int or `n` ints) as a tuple of `n` ints, all > 0 (>= 0 with `allow_zero`).

    Example: `standardize_tuple(3, 2, "kernel_size")` -> `(3, 3)`.
    """
    lowest = 0 if allow_zero else 1
    expected = f"must be an integer or a tuple of {n} integers, each >= {lowest}"
    if isinstance(value, int) and not isinstance(value, bool):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise invalid(argument, expected, value, owner) from None
    if len(values) != n or any(isinstance(v, bool) or not isinstance(v, int) for v in values):
        raise invalid(argument, expected, value, owner)
    if any(v < lowest for v in values):
        raise invalid(argument, expected, value, owner)
    return values


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """The span of a dilated kernel: `(kernel - 1) * dilation + 1`."""
    return (kernel - 1) * dilation + 1


def same_padding(length: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """`(left, right)` zero padding of Keras's (TensorFlow's) "same": the output has
    `ceil(length / stride)` cells and an odd total puts the extra cell at the end."""
    output = -(-length // stride)
    total = max(0, (output - 1) * stride + effective_kernel(kernel, dilation) - length)
    return total // 2, total - total // 2


def conv_output_length(
    length: int | None, kernel: int, stride: int, padding: str, dilation: int = 1
) -> int | None:
    """Output length of a convolution or pooling window along one axis.

    "valid": `floor((length - span) / stride) + 1` (may be <= 0: the caller raises);
    "same" and "causal": `ceil(length / stride)`.
    """
    if length is None:
        return None
    if padding == "valid":
        return (length - effective_kernel(kernel, dilation)) // stride + 1
    return -(-length // stride)


def conv_transpose_output_length(
    length: int | None,
    kernel: int,
    stride: int,
    padding: str,
    output_padding: int | None = None,
    dilation: int = 1,
) -> int | None:
    """Output length of a transposed convolution along one axis, as Keras computes it.

    With `output_padding=None`, "valid" gives `(length - 1) * stride + max(span, stride)` and
    "same" gives `length * stride`.
    """
    if length is None:
        return None
    span = effective_kernel(kernel, dilation)
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return (length - 1) * stride + span + extra
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + span % 2 + output_padding


def conv_transpose_crops(
    kernel: int, stride: int, padding: str, output_padding: int | None = None, dilation: int = 1
) -> tuple[int, int]:
    """`(left, right)` cells to remove from the full transposed convolution (length
    `(length - 1) * stride + span`) to get Keras's output; a negative amount means zeros to add.

    The full output is the transposed convolution padded by `span - 1` on both sides; Keras
    pads by `(left_pad, right_pad)` instead, hence crops of `span - 1 - pad`.
    """
    span = effective_kernel(kernel, dilation)
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        left_pad, right_pad = span - 1, span - 1 + extra
    else:
        if output_padding is None:
            total = stride + span - 2
        else:
            total = span + span % 2 - 2 + output_padding
        left_pad = min(total // 2 + total % 2, span - 1)
        right_pad = total - left_pad
    return span - 1 - left_pad, span - 1 - right_pad


def spatial_output_shape(
    spatial_shape: tuple[int | None, ...],
    kernel_size: tuple[int, ...],
    strides: tuple[int, ...],
    padding: str,
    dilation_rate: tuple[int, ...] | None = None,
    owner: str | None = None,
) -> tuple[int | None, ...]:
    """Output lengths of a sliding window (convolution or pooling) over every spatial axis.

    Raises:
        ValueError: with "valid" padding, when an input is smaller than the window.
    """
    dilation_rate = dilation_rate or (1,) * len(kernel_size)
    lengths = tuple(
        conv_output_length(n, k, s, padding, d)
        for n, k, s, d in zip(spatial_shape, kernel_size, strides, dilation_rate)
    )
    if any(n is not None and n <= 0 for n in lengths):
        where = f"{owner}: " if owner else ""
        spans = tuple(effective_kernel(k, d) for k, d in zip(kernel_size, dilation_rate))
        raise ValueError(
            f"{where}the inputs are too small for the window: spatial shape {tuple(spatial_shape)} "
            f"with a window spanning {spans} and padding='valid' gives an output size <= 0. "
            "Use larger inputs, a smaller window or padding='same'."
        )
    return lengths
