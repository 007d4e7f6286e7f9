"""Resampling at computed coordinates (`keras.ops.image`): `map_coordinates`, affine, perspective and
elastic warps.

Sampling follows `scipy.ndimage.map_coordinates` for orders 0 and 1; points outside the input are
filled by `fill_mode`: "constant" (`fill_value`), "nearest" (edge), "wrap", "mirror" (about the edge
cells' centres) or "reflect" (about the edges).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import torch

from torchkeras.ops._convert import ArrayLike, convert, tensor
from torchkeras.ops._symbolic import symbolic_op
from torchkeras.ops.image._layout import ImageBatch
from torchkeras.ops.image.filters import gaussian_blur
from torchkeras.utils.validation import check_choice

__all__ = ["affine_transform", "elastic_transform", "map_coordinates", "perspective_transform"]

_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}


def _mirror(index: torch.Tensor, size: int) -> torch.Tensor:
    period = max(size - 1, 1)
    return torch.abs((index + period) % (2 * period) - period)


def _reflect(index: torch.Tensor, size: int) -> torch.Tensor:
    return torch.floor_divide(_mirror(2 * index + 1, 2 * size + 1) - 1, 2)


_FIXERS: dict[str, Callable[[torch.Tensor, int], torch.Tensor]] = {
    "constant": lambda index, size: torch.clamp(index, 0, size - 1),
    "nearest": lambda index, size: torch.clamp(index, 0, size - 1),
    "wrap": lambda index, size: torch.remainder(index, size),
    "mirror": _mirror,
    "reflect": _reflect,
}


def _nodes(coordinate: torch.Tensor, order: int) -> list[tuple[torch.Tensor, Any]]:
    """The input cells a coordinate reads along one axis, with their weights."""
    if order == 0:
        rounded = coordinate if not coordinate.dtype.is_floating_point else torch.round(coordinate)
        return [(rounded.to(torch.int64), 1.0)]
    lower = torch.floor(coordinate)
    upper_weight = coordinate - lower
    return [(lower.to(torch.int64), 1.0 - upper_weight), (lower.to(torch.int64) + 1, upper_weight)]


def _resample(
    source: torch.Tensor,
    coordinates: Sequence[torch.Tensor],
    order: int,
    fill_mode: str,
    fill_value: float,
) -> torch.Tensor:
    """Samples the leading `len(coordinates)` axes of `source` (trailing axes ride along) at
    `coordinates`, each of the output's sample shape."""
    spatial = source.shape[: len(coordinates)]
    rest = source.shape[len(coordinates) :]
    flat = torch.reshape(source, (-1, *rest))
    work = torch.float32 if not source.dtype.is_floating_point else source.dtype
    out = None
    per_axis = [_nodes(c, order) for c in coordinates]
    for corner in itertools.product(*per_axis):
        index = torch.zeros_like(corner[0][0])
        valid = None
        weight: Any = 1.0
        for (position, axis_weight), size in zip(corner, spatial):
            index = index * size + _FIXERS[fill_mode](position, size)
            if fill_mode == "constant":
                inside = (position >= 0) & (position < size)
                valid = inside if valid is None else valid & inside
            weight = weight * axis_weight
        values = flat[index.reshape(-1)].reshape(*index.shape, *rest).to(work)
        if valid is not None:
            valid = valid.reshape(*valid.shape, *(1,) * len(rest))
            values = torch.where(valid, values, torch.as_tensor(fill_value, dtype=work, device=values.device))
        if not isinstance(weight, float):
            weight = weight.reshape(*weight.shape, *(1,) * len(rest)).to(work)
        term = values * weight
        out = term if out is None else out + term
    if not source.dtype.is_floating_point:
        out = torch.round(out)
    return out.to(source.dtype)


@symbolic_op
def map_coordinates(
    inputs: ArrayLike,
    coordinates: ArrayLike | Sequence[ArrayLike],
    order: int,
    fill_mode: str = "constant",
    fill_value: float = 0,
) -> torch.Tensor:
    """Samples `inputs` at `coordinates` (one coordinate array per input axis), as
    `scipy.ndimage.map_coordinates`.

    Args:
        inputs: N-D tensor.
        coordinates: `(inputs.ndim, *output_shape)`, or a list of `inputs.ndim` arrays.
        order: 0 (nearest) or 1 (linear).
        fill_mode: "constant", "nearest", "wrap", "mirror" or "reflect".
        fill_value: the value outside the input with `fill_mode="constant"`.
    """
    inputs = tensor(inputs)
    fill_mode = check_choice(fill_mode, _FILL_MODES, "fill_mode")
    if order not in (0, 1):
        raise ValueError(f"`order` must be 0 or 1. Received: order={order!r}")
    coordinates = [convert(c, device=inputs.device) for c in coordinates]
    if len(coordinates) != inputs.ndim:
        raise ValueError(
            f"`coordinates` must hold one array per axis of `inputs` ({inputs.ndim}). "
            f"Received: {len(coordinates)} arrays"
        )
    if coordinates[0].ndim < 1:
        raise ValueError("`coordinates` must have rank >= 2: (inputs.ndim, *output_shape).")
    return _resample(inputs, coordinates, order, fill_mode, fill_value)


def _warp(
    images: torch.Tensor,
    rows: torch.Tensor,
    cols: torch.Tensor,
    order: int,
    fill_mode: str,
    fill_value: float,
) -> torch.Tensor:
    """Samples each channels-last image `images[n]` at the points `(rows[n], cols[n])`."""
    n, height, width, channels = images.shape
    flat = torch.reshape(images, (-1, channels))
    # Batch offsets into one flat (batch * height * width) index.
    offset = (torch.arange(n, device=images.device) * height).reshape(n, 1, 1)
    work = torch.float32 if not images.dtype.is_floating_point else images.dtype
    out = None
    for (row, row_weight), (col, col_weight) in itertools.product(_nodes(rows, order), _nodes(cols, order)):
        index = (offset + _FIXERS[fill_mode](row, height)) * width + _FIXERS[fill_mode](col, width)
        values = flat[index.reshape(-1)].reshape(*index.shape, channels).to(work)
        if fill_mode == "constant":
            inside = (row >= 0) & (row < height) & (col >= 0) & (col < width)
            fill = torch.as_tensor(fill_value, dtype=work, device=values.device)
            values = torch.where(inside[..., None], values, fill)
        weight = row_weight * col_weight
        if not isinstance(weight, float):
            weight = weight[..., None].to(work)
        term = values * weight
        out = term if out is None else out + term
    if not images.dtype.is_floating_point:
        out = torch.round(out)
    return out.to(images.dtype)


def _check_warp(interpolation: str, fill_mode: str) -> tuple[int, str]:
    interpolation = check_choice(interpolation, tuple(_INTERPOLATIONS), "interpolation")
    return _INTERPOLATIONS[interpolation], check_choice(fill_mode, _FILL_MODES, "fill_mode")


def _grid(
    batch: int, height: int, width: int, dtype: torch.dtype, device: Any
) -> tuple[torch.Tensor, torch.Tensor]:
    rows = torch.arange(height, dtype=dtype, device=device).reshape(1, height, 1).expand(batch, height, width)
    cols = torch.arange(width, dtype=dtype, device=device).reshape(1, 1, width).expand(batch, height, width)
    return rows, cols


@symbolic_op
def affine_transform(
    images: ArrayLike,
    transform: ArrayLike,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0,
    data_format: str | None = None,
) -> torch.Tensor:
    """Warps images by projective transforms (TensorFlow's `ImageProjectiveTransform`).

    `transform = [a0, a1, a2, b0, b1, b2, c0, c1]` maps each output pixel `(x, y)` to the input
    point `((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`, `k = c0 x + c1 y + 1`.

    Args:
        images: one image or a batch.
        transform: `(8,)` for all images or `(batch, 8)`.
        interpolation: `"nearest"` or `"bilinear"`.
        fill_mode: how points outside the input are filled (module docstring).
        fill_value: the value for `fill_mode="constant"`.
        data_format: default `config.image_data_format()`.
    """
    order, fill_mode = _check_warp(interpolation, fill_mode)
    batch = ImageBatch(images, data_format)
    x = batch.channels_last()
    transform = tensor(transform)
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(
            f"`transform` must be (8,) or (batch, 8). Received: transform.shape={tuple(transform.shape)}"
        )
    dtype = torch.float64 if x.dtype == torch.float64 or transform.dtype == torch.float64 else torch.float32
    t = torch.broadcast_to(transform.to(device=x.device, dtype=dtype).reshape(-1, 8), (x.shape[0], 8))
    rows, cols = _grid(x.shape[0], x.shape[1], x.shape[2], dtype, x.device)
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, i].reshape(-1, 1, 1) for i in range(8))
    k = c0 * cols + c1 * rows + 1.0
    src_cols = (a0 * cols + a1 * rows + a2) / k
    src_rows = (b0 * cols + b1 * rows + b2) / k
    return batch.from_channels_last(_warp(x, src_rows, src_cols, order, fill_mode, fill_value))


def _homography(start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """The 8 projective coefficients mapping each `end` corner to its `start` corner, `(batch, 8)`."""
    sx, sy = start[..., 0], start[..., 1]
    ex, ey = end[..., 0], end[..., 1]
    zeros, ones = torch.zeros_like(ex), torch.ones_like(ex)
    x_rows = torch.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], dim=-1)
    y_rows = torch.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], dim=-1)
    system = torch.cat([x_rows, y_rows], dim=-2)  # (batch, 8, 8)
    targets = torch.cat([sx, sy], dim=-1)
    return torch.linalg.solve(system, targets)


@symbolic_op
def perspective_transform(
    images: ArrayLike,
    start_points: ArrayLike,
    end_points: ArrayLike,
    interpolation: str = "bilinear",
    fill_value: float = 0,
    data_format: str | None = None,
) -> torch.Tensor:
    """Warps images so that the four `start_points` land on the four `end_points`.

    Args:
        images: one image or a batch.
        start_points, end_points: `(4, 2)` or `(batch, 4, 2)` `(x, y)` corners.
        interpolation: `"nearest"` or `"bilinear"`.
        fill_value: the value outside the input.
        data_format: default `config.image_data_format()`.
    """
    order, _ = _check_warp(interpolation, "constant")
    batch = ImageBatch(images, data_format)
    x = batch.channels_last()
    dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
    start = tensor(start_points).to(device=x.device, dtype=dtype)
    end = tensor(end_points).to(device=x.device, dtype=dtype)
    for name, points in (("start_points", start), ("end_points", end)):
        if points.ndim not in (2, 3) or tuple(points.shape[-2:]) != (4, 2):
            raise ValueError(
                f"`{name}` must be (4, 2) or (batch, 4, 2). Received: {name}.shape={tuple(points.shape)}"
            )
    coefficients = _homography(start.reshape(-1, 4, 2), end.reshape(-1, 4, 2))
    transform = torch.broadcast_to(coefficients, (x.shape[0], 8))
    rows, cols = _grid(x.shape[0], x.shape[1], x.shape[2], dtype, x.device)
    a0, a1, a2, b0, b1, b2, c0, c1 = (transform[:, i].reshape(-1, 1, 1) for i in range(8))
    k = c0 * cols + c1 * rows + 1.0
    src_cols = (a0 * cols + a1 * rows + a2) / k
    src_rows = (b0 * cols + b1 * rows + b2) / k
    return batch.from_channels_last(_warp(x, src_rows, src_cols, order, "constant", fill_value))


@symbolic_op
def elastic_transform(
    images: ArrayLike,
    alpha: float = 20.0,
    sigma: float = 5.0,
    interpolation: str = "bilinear",
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    seed: Any = None,
    data_format: str | None = None,
) -> torch.Tensor:
    """Random elastic deformation: each pixel moves by `alpha` times a Gaussian-smoothed
    (`sigma`) field of normal noise (Simard et al., 2003).

    Args:
        images: one image or a batch.
        alpha: displacement scale, in pixels.
        sigma: smoothness of the displacement field (blur standard deviation).
        interpolation: `"nearest"` or `"bilinear"`.
        fill_mode, fill_value: how points outside the input are filled.
        seed: an int or a `keras.random.SeedGenerator`, for reproducible fields.
        data_format: default `config.image_data_format()`.
    """
    from torchkeras import random

    order, fill_mode = _check_warp(interpolation, fill_mode)
    batch = ImageBatch(images, data_format)
    x = batch.channels_last()
    n, h, w, _ = x.shape
    dtype = x.dtype if x.dtype.is_floating_point else torch.float32
    size = int(6 * sigma) | 1
    noise = random.normal((2 * n, h, w, 1), dtype=str(dtype).replace("torch.", ""), seed=seed).to(x.device)
    field = gaussian_blur(noise * sigma, (size, size), (sigma, sigma), data_format="channels_last")[..., 0]
    rows, cols = _grid(n, h, w, dtype, x.device)
    src_rows = rows + alpha * field[n:]
    src_cols = cols + alpha * field[:n]
    return batch.from_channels_last(_warp(x, src_rows, src_cols, order, fill_mode, fill_value))
