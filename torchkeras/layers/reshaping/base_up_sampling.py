"""`UpSampling`: the base of `UpSampling1D`, `UpSampling2D` and `UpSampling3D`."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras.layers.reshaping.base_spatial import SpatialLayer, standardize_sizes
from torchkeras.utils.validation import check_choice

__all__ = ["UpSampling"]


class UpSampling(SpatialLayer):
    """Enlarges each spatial axis `i` by the integer factor `size[i]`.

    `"nearest"` repeats every entry `size[i]` times (one broadcast copy, no gather); `"bilinear"`
    and `"bicubic"` interpolate with half-pixel centers (`align_corners=False`, no antialiasing),
    as Keras's `ops.image.resize`.

    Args:
        size: a positive int (every axis) or one positive int per spatial axis.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        interpolation: `"nearest"`, or for 2D also `"bilinear"` or `"bicubic"`.
        **kwargs: base `Layer` arguments.
    """

    interpolations: tuple[str, ...] = ("nearest",)

    def __init__(
        self, size: Any, data_format: str | None = None, interpolation: str = "nearest", **kwargs: Any
    ):
        super().__init__(data_format, **kwargs)
        self._sizes = standardize_sizes(size, self.rank, "size", self._owner)
        self.size = self._sizes if self.rank > 1 else self._sizes[0]  # Keras's 1D form is an int
        self.interpolation = check_choice(interpolation, self.interpolations, "interpolation", self._owner)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self._check_rank(inputs.shape)
        if self.interpolation == "nearest":
            return _repeat(inputs, dict(zip(self._spatial_axes, self._sizes)))
        channels_last = self.data_format == "channels_last"
        x = inputs.movedim(-1, 1) if channels_last else inputs  # a view, channels_last memory format
        size = tuple(x.shape[axis] * factor for axis, factor in zip(range(2, x.ndim), self._sizes))
        outputs = F.interpolate(x, size=size, mode=self.interpolation, align_corners=False)
        return outputs.movedim(1, -1) if channels_last else outputs

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self._check_rank(input_shape)
        output_shape = list(input_shape)
        for axis, factor in zip(self._spatial_axes, self._sizes):
            if output_shape[axis] is not None:
                output_shape[axis] *= factor
        return tuple(output_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


def _repeat(x: torch.Tensor, factors: dict[int, int]) -> torch.Tensor:
    """Repeats each entry `factors[axis]` times along `axis`, with one broadcast and one copy."""
    viewed, expanded, final = [], [], []
    for axis, length in enumerate(x.shape):
        factor = factors.get(axis, 1)
        viewed += [length, 1] if axis in factors else [length]
        expanded += [length, factor] if axis in factors else [length]
        final.append(length * factor)
    return x.reshape(viewed).expand(expanded).reshape(final)
