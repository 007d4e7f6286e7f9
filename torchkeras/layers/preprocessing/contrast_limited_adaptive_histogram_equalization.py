"""`ContrastLimitedAdaptiveHistogramEqualization`: CLAHE, per tile, blended between tiles."""

from __future__ import annotations

import math
from typing import Any

import torch

from torchkeras.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
    check_value_range,
)
from torchkeras.layers.preprocessing.color_ops import transform_value_range
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["ContrastLimitedAdaptiveHistogramEqualization"]


def _symmetric_pad(images: torch.Tensor, pad_h: int, pad_w: int) -> torch.Tensor:
    """Pads `(batch, h, w, c)` at the bottom and right by mirroring, edge included (`c b a | a b c`)."""
    height, width = images.shape[1:3]
    rows = torch.arange(height + pad_h, device=images.device)
    cols = torch.arange(width + pad_w, device=images.device)
    rows = torch.where(rows < height, rows, 2 * height - 1 - rows).clamp(0, height - 1)
    cols = torch.where(cols < width, cols, 2 * width - 1 - cols).clamp(0, width - 1)
    return images.index_select(1, rows).index_select(2, cols)


@register_builtin
class ContrastLimitedAdaptiveHistogramEqualization(BaseImagePreprocessingLayer):
    """Contrast-limited adaptive histogram equalization, as Keras computes it: values mapped to
    [0, 255], the image split into `tile_grid_size` tiles (padded by mirroring), each tile's
    256-bin histogram clipped at `clip_limit` times the mean bin count (rounded down: Keras clips
    integer counts) with the excess spread over all bins, and each pixel mapped through the
    cumulative distributions of its four nearest tiles, blended bilinearly. Deterministic: it runs
    at training and at inference, as in Keras.

    Args:
        value_range: `(min, max)` of the pixel values.
        clip_limit: contrast limit (0 or less: plain adaptive equalization).
        tile_grid_size: `(rows, columns)` of tiles.
        data_format: `"channels_last"` or `"channels_first"`.
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        value_range: Any = (0, 255),
        clip_limit: float = 4.0,
        tile_grid_size: Any = (8, 8),
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(data_format=data_format, **kwargs)
        check_value_range(value_range, self._owner)
        if isinstance(clip_limit, bool) or not isinstance(clip_limit, (int, float)):
            raise invalid("clip_limit", "must be a number", clip_limit, self._owner)
        grid = tuple(tile_grid_size) if isinstance(tile_grid_size, (tuple, list)) else ()
        if len(grid) != 2 or not all(isinstance(g, int) and not isinstance(g, bool) and g > 0 for g in grid):
            raise invalid(
                "tile_grid_size", "must be a pair of positive integers", tile_grid_size, self._owner
            )
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        images = torch.as_tensor(images)
        dtype = images.dtype
        x = images.unsqueeze(0) if images.ndim == 3 else images
        x = x.movedim(1, -1) if self.data_format == "channels_first" else x
        x = transform_value_range(x.to(torch.float32), self.value_range, (0, 255))
        x = transform_value_range(self._clahe(x), (0, 255), self.value_range)
        x = x.movedim(-1, 1) if self.data_format == "channels_first" else x
        x = x.squeeze(0) if images.ndim == 3 else x
        return x if dtype.is_floating_point else x.to(dtype)

    def _clahe(self, images: torch.Tensor) -> torch.Tensor:
        batch, height, width, channels = images.shape
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        padded = _symmetric_pad(images, tile_h * grid_h - height, tile_w * grid_w - width)
        levels = padded.to(torch.int64).clamp(0, 255)  # (batch, H, W, c)
        tiles = levels.reshape(batch, grid_h, tile_h, grid_w, tile_w, channels).permute(0, 1, 3, 5, 2, 4)
        tiles = tiles.reshape(batch, grid_h, grid_w, channels, tile_h * tile_w)
        hists = torch.zeros((*tiles.shape[:-1], 256), device=images.device)
        hists.scatter_add_(-1, tiles, torch.ones(tiles.shape, device=images.device))
        if self.clip_limit > 0:
            limit = math.floor(self.clip_limit * (tile_h * tile_w) / 256.0)  # Keras clips integer counts
            clipped = hists.clamp(0, limit)
            hists = clipped + (hists - clipped).sum(-1, keepdim=True) / 256.0
        cdf = hists.cumsum(-1)
        cdf_min = cdf.amin(-1, keepdim=True)
        denominator = tile_h * tile_w - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        cdf = ((cdf - cdf_min) * 255.0 / denominator).clamp(0, 255)
        cdf = torch.cat([cdf[:, :1], cdf, cdf[:, -1:]], dim=1)  # edge tiles repeated
        cdf = torch.cat([cdf[:, :, :1], cdf, cdf[:, :, -1:]], dim=2)  # (batch, gh + 2, gw + 2, c, 256)

        def axis(size: int, tile: int, grid: int) -> tuple:
            position = (
                torch.arange(size, dtype=torch.float32, device=images.device) - tile / 2.0
            ) / tile + 1.0
            low = torch.floor(position)
            return low.clamp(0, grid + 1).long(), (low + 1).clamp(0, grid + 1).long(), position - low

        y0, y1, wy = axis(tile_h * grid_h, tile_h, grid_h)
        x0, x1, wx = axis(tile_w * grid_w, tile_w, grid_w)
        b = torch.arange(batch, device=images.device).reshape(-1, 1, 1, 1)
        c = torch.arange(channels, device=images.device).reshape(1, 1, 1, -1)

        def value(ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
            return cdf[b, ys.reshape(1, -1, 1, 1), xs.reshape(1, 1, -1, 1), c, levels]

        wy, wx = wy.reshape(1, -1, 1, 1), wx.reshape(1, 1, -1, 1)
        top = value(y0, x0) * (1.0 - wx) + value(y0, x1) * wx
        bottom = value(y1, x0) * (1.0 - wx) + value(y1, x1) * wx
        return (top * (1.0 - wy) + bottom * wy)[:, :height, :width]

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        self._check_rank(inputs)
        return self.transform_images(inputs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "clip_limit": self.clip_limit,
            "tile_grid_size": self.tile_grid_size,
        }
