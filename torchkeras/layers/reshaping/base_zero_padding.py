"""`ZeroPadding`: the base of `ZeroPadding1D`, `ZeroPadding2D` and `ZeroPadding3D`."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras.layers.reshaping.base_spatial import SpatialLayer, standardize_pairs

__all__ = ["ZeroPadding"]


class ZeroPadding(SpatialLayer):
    """Adds `padding[i] = (before, after)` zeros at both ends of each spatial axis `i`.

    Args:
        padding: an int (same amount everywhere), `rank` ints (symmetric per axis) or `rank`
            pairs `(before, after)`.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        **kwargs: base `Layer` arguments.
    """

    def __init__(self, padding: Any, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format, **kwargs)
        self._pairs = standardize_pairs(padding, self.rank, "padding", self._owner)
        self.padding = self._pairs if self.rank > 1 else self._pairs[0]  # Keras's 1D form is one pair

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self._check_rank(inputs.shape)
        amounts = dict(zip(self._spatial_axes, self._pairs))
        pad: list[int] = []
        for axis in reversed(range(1, inputs.ndim)):  # F.pad lists the last axis first
            pad.extend(amounts.get(axis, (0, 0)))
        return F.pad(inputs, pad)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self._check_rank(input_shape)
        output_shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes, self._pairs):
            if output_shape[axis] is not None:
                output_shape[axis] += before + after
        return tuple(output_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}
