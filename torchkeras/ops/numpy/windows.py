"""Window functions (`keras.ops.numpy`): Bartlett, Blackman, Hamming, Hann(ing), Kaiser.

Each returns the symmetric window of `x` points (as NumPy), in floatx.
"""

from __future__ import annotations

import torch

from torchkeras.ops._convert import floatx_dtype
from torchkeras.ops._symbolic import symbolic_op

__all__ = ["bartlett", "blackman", "hamming", "hanning", "kaiser"]


def _length(x: int) -> int:
    if isinstance(x, torch.Tensor):
        x = int(x)
    if isinstance(x, bool) or not isinstance(x, int):
        raise ValueError(f"`x` must be an integer number of points. Received: x={x!r}")
    return max(x, 0)


@symbolic_op
def bartlett(x: int) -> torch.Tensor:
    """The triangular Bartlett window."""
    return torch.bartlett_window(_length(x), periodic=False, dtype=floatx_dtype())


@symbolic_op
def blackman(x: int) -> torch.Tensor:
    """The Blackman window."""
    return torch.blackman_window(_length(x), periodic=False, dtype=floatx_dtype())


@symbolic_op
def hamming(x: int) -> torch.Tensor:
    """The Hamming window."""
    return torch.hamming_window(_length(x), periodic=False, dtype=floatx_dtype())


@symbolic_op
def hanning(x: int) -> torch.Tensor:
    """The Hann window."""
    return torch.hann_window(_length(x), periodic=False, dtype=floatx_dtype())


@symbolic_op
def kaiser(x: int, beta: float) -> torch.Tensor:
    """The Kaiser window with shape parameter `beta`."""
    return torch.kaiser_window(_length(x), periodic=False, beta=float(beta), dtype=floatx_dtype())
