"""`GateLayout`: store a gated RNN weight with its gate blocks in the order a torch kernel wants."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

__all__ = ["GateLayout"]


class GateLayout:
    """Storage layout: the Keras value with its gate blocks (last axis) reordered, then optionally
    transposed.

    Keras's GRU concatenates gates as `z, r, h` along the last axis of `(input_dim, 3 * units)`;
    torch's GRU kernel wants `r, z, n` rows in `(3 * units, input_dim)`. With
    `GateLayout(order=(1, 0, 2), transpose=True)` the weight is stored the torch way once, and
    `get_weights()` / `set_weights()` still speak Keras's layout.

    Args:
        order: for each stored block, the index of the Keras block it holds.
        transpose: whether the stored tensor swaps the last two axes (kernels) or not (biases).
    """

    def __init__(self, order: Sequence[int], transpose: bool = False):
        self.order = tuple(int(i) for i in order)
        self.inverse = tuple(int(i) for i in np.argsort(self.order))
        self.transpose = transpose

    def _reorder(self, value: torch.Tensor, order: tuple[int, ...]) -> torch.Tensor:
        blocks = value.chunk(len(order), dim=-1)
        return torch.cat([blocks[i] for i in order], dim=-1)

    def from_keras(self, value: torch.Tensor) -> torch.Tensor:
        value = self._reorder(value, self.order)
        return value.transpose(-1, -2) if self.transpose else value

    def to_keras(self, stored: torch.Tensor) -> torch.Tensor:
        value = stored.transpose(-1, -2) if self.transpose else stored
        return self._reorder(value, self.inverse)
