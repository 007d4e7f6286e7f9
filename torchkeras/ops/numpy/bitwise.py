"""Bitwise ops on integers and bools (`keras.ops.numpy`): and, or, xor, not, shifts."""

from __future__ import annotations

import torch

from torchkeras.ops._convert import ArrayLike, pair, tensor
from torchkeras.ops._symbolic import symbolic_op

__all__ = [
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "left_shift",
    "right_shift",
]


def _integers(x: ArrayLike, y: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = pair(x, y)
    for name, value in (("x", x), ("y", y)):
        if value.dtype.is_floating_point or value.dtype.is_complex:
            raise TypeError(
                f"`{name}` must be an integer or bool tensor. Received: {name}.dtype={value.dtype}"
            )
    return x, y


@symbolic_op
def bitwise_and(x: ArrayLike, y: ArrayLike) -> torch.Tensor:
    """Element-wise bitwise AND."""
    return torch.bitwise_and(*_integers(x, y))


@symbolic_op
def bitwise_or(x: ArrayLike, y: ArrayLike) -> torch.Tensor:
    """Element-wise bitwise OR."""
    return torch.bitwise_or(*_integers(x, y))


@symbolic_op
def bitwise_xor(x: ArrayLike, y: ArrayLike) -> torch.Tensor:
    """Element-wise bitwise XOR."""
    return torch.bitwise_xor(*_integers(x, y))


@symbolic_op
def bitwise_invert(x: ArrayLike) -> torch.Tensor:
    """Element-wise bitwise NOT (`~x`; logical NOT for bools)."""
    x = tensor(x)
    if x.dtype.is_floating_point or x.dtype.is_complex:
        raise TypeError(f"`x` must be an integer or bool tensor. Received: x.dtype={x.dtype}")
    return torch.bitwise_not(x)


bitwise_not = bitwise_invert


@symbolic_op
def bitwise_left_shift(x: ArrayLike, y: ArrayLike) -> torch.Tensor:
    """Element-wise `x << y`."""
    return torch.bitwise_left_shift(*_integers(x, y))


@symbolic_op
def bitwise_right_shift(x: ArrayLike, y: ArrayLike) -> torch.Tensor:
    """Element-wise `x >> y` (arithmetic for signed integers)."""
    return torch.bitwise_right_shift(*_integers(x, y))


left_shift = bitwise_left_shift
right_shift = bitwise_right_shift
