"""`Cropping`: the base of `Cropping1D`, `Cropping2D` and `Cropping3D`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.reshaping.base_spatial import SpatialLayer, standardize_pairs

__all__ = ["Cropping"]


class Cropping(SpatialLayer):
    """Removes `cropping[i] = (before, after)` entries at both ends of each spatial axis `i`.

    The result is a view of the input (no copy).

    Args:
        cropping: an int (same amount everywhere), `rank` ints (symmetric per axis) or `rank`
            pairs `(before, after)`.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        **kwargs: base `Layer` arguments.
    """

    def __init__(self, cropping: Any, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format, **kwargs)
        self._pairs = standardize_pairs(cropping, self.rank, "cropping", self._owner)
        self.cropping = self._pairs if self.rank > 1 else self._pairs[0]  # Keras's 1D form is one pair

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self._check_rank(inputs.shape)
        lengths = self._cropped_lengths(tuple(inputs.shape))
        for axis, (before, _), length in zip(self._spatial_axes, self._pairs, lengths):
            inputs = inputs.narrow(axis, before, length)
        return inputs

    def _cropped_lengths(self, shape: tuple) -> list[int | None]:
        lengths = []
        for axis, (before, after) in zip(self._spatial_axes, self._pairs):
            length = None if shape[axis] is None else shape[axis] - before - after
            if length is not None and length <= 0:
                raise ValueError(
                    f"{self._owner}: `cropping` must remove less than the input's size on each spatial "
                    f"axis. Received: cropping={self.cropping} for inputs of shape {shape}"
                )
            lengths.append(length)
        return lengths

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self._check_rank(input_shape)
        output_shape = list(input_shape)
        for axis, length in zip(self._spatial_axes, self._cropped_lengths(tuple(input_shape))):
            output_shape[axis] = length
        return tuple(output_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}
