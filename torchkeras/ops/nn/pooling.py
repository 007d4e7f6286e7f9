"""Pooling (`keras.ops.nn`): max and average windows, and adaptive pooling to a fixed size.

"same" padding follows TensorFlow: the output has `ceil(size / strides)` cells, an odd extra
padded cell goes at the end, and padded cells never count (max ignores them, averages exclude them).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from torchkeras.ops._convert import ArrayLike, tensor
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.ops.nn.convolution import back_to, channels_first, data_format_of
from torchkeras.utils.shapes import same_padding, standardize_tuple
from torchkeras.utils.validation import check_choice

__all__ = ["adaptive_average_pool", "adaptive_max_pool", "average_pool", "max_pool"]

_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVERAGE = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
_ADAPTIVE_MAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
_ADAPTIVE_AVERAGE = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
IntOrTuple = int | Sequence[int]


def _pool(
    inputs: ArrayLike,
    pool_size: IntOrTuple,
    strides: IntOrTuple | None,
    padding: str,
    data_format: str | None,
    average: bool,
) -> torch.Tensor:
    data_format = data_format_of(data_format)
    x = channels_first(tensor(inputs), data_format)
    rank = x.ndim - 2
    pool_size = standardize_tuple(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else standardize_tuple(strides, rank, "strides")
    padding = check_choice(padding, ("valid", "same"), "padding")
    pads = [(0, 0)] * rank
    if padding == "same":
        pads = [same_padding(n, k, s) for n, k, s in zip(x.shape[2:], pool_size, strides)]
    if all(left == right for left, right in pads):
        amount = tuple(left for left, _ in pads)
        if average:
            return back_to(
                _AVERAGE[rank](x, pool_size, strides, amount, count_include_pad=False), data_format
            )
        return back_to(_MAX[rank](x, pool_size, strides, amount), data_format)
    flat = [amount for pair in reversed(pads) for amount in pair]  # F.pad lists the last axis first
    if not average:
        return back_to(_MAX[rank](F.pad(x, flat, value=float("-inf")), pool_size, strides), data_format)
    sums = _AVERAGE[rank](F.pad(x, flat), pool_size, strides)
    counts = _AVERAGE[rank](F.pad(torch.ones_like(x[:1, :1]), flat), pool_size, strides)
    return back_to(sums / counts, data_format)


@symbolic_op
def max_pool(
    inputs: ArrayLike,
    pool_size: IntOrTuple,
    strides: IntOrTuple | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> torch.Tensor:
    """Max pooling over 1 to 3 spatial axes.

    Args:
        inputs: `(batch, *spatial, channels)` (channels_last) or `(batch, channels, *spatial)`.
        pool_size: window size, an int or one per spatial axis.
        strides: window step; defaults to `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: default `config.image_data_format()`.
    """
    return _pool(inputs, pool_size, strides, padding, data_format, average=False)


@symbolic_op
def average_pool(
    inputs: ArrayLike,
    pool_size: IntOrTuple,
    strides: IntOrTuple | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> torch.Tensor:
    """Average pooling over 1 to 3 spatial axes (arguments as for `max_pool`)."""
    return _pool(inputs, pool_size, strides, padding, data_format, average=True)


def _adaptive(
    inputs: ArrayLike, output_size: IntOrTuple, data_format: str | None, table: dict
) -> torch.Tensor:
    data_format = data_format_of(data_format)
    x = channels_first(tensor(inputs), data_format)
    size = standardize_tuple(output_size, x.ndim - 2, "output_size")
    out = table[x.ndim - 2](x, size)
    return back_to(out[0] if isinstance(out, tuple) else out, data_format)


@symbolic_op
def adaptive_average_pool(
    inputs: ArrayLike, output_size: IntOrTuple, data_format: str | None = None
) -> torch.Tensor:
    """Average pooling to a fixed `output_size` (an int or one per spatial axis): each output
    cell averages its share of the input, windows chosen as in `torch.nn.AdaptiveAvgPool2d`."""
    return _adaptive(inputs, output_size, data_format, _ADAPTIVE_AVERAGE)


@symbolic_op
def adaptive_max_pool(
    inputs: ArrayLike, output_size: IntOrTuple, data_format: str | None = None
) -> torch.Tensor:
    """Max pooling to a fixed `output_size` (arguments as for `adaptive_average_pool`)."""
    return _adaptive(inputs, output_size, data_format, _ADAPTIVE_MAX)
