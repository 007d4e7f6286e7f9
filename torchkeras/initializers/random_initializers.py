"""Random initializers: normal, truncated normal, uniform, variance scaling and its named forms,
orthogonal.

An integer `seed` makes an initializer deterministic: every call returns the same values, and on
CPU they are the very values Keras 3 (torch backend) draws with that seed. `seed=None` draws from
torch's global generator, so `torch.manual_seed` (or `torchkeras.utils.set_random_seed`) makes runs
reproducible.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import torch

from torchkeras import config
from torchkeras.initializers.initializer import Initializer
from torchkeras.utils.validation import check_choice, invalid

__all__ = [
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "LecunUniform",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "compute_fans",
]

Device = str | torch.device | None
DType = str | torch.dtype | None
Axes = Sequence[int] | None

# Standard deviation of a unit normal truncated to [-2, 2]: VarianceScaling divides by it so the
# truncated draw keeps the requested variance.
_TRUNCATED_STD = 0.87962566103423978


def compute_fans(shape: Sequence[int], input_axes: Axes = None, output_axes: Axes = None) -> tuple[int, int]:
    """Returns `(fan_in, fan_out)` for a kernel of Keras layout.

    2D kernels are `(in, out)`; convolution kernels `(*spatial, in, out)` multiply both fans by the
    receptive field size. `input_axes` / `output_axes`, when both given, name the axes to multiply.
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class RandomInitializer(Initializer):
    """Shared seed handling: `seed` is an integer or `None` (the global torch generator)."""

    def __init__(self, seed: int | None = None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise invalid("seed", "must be an integer or None", seed, type(self).__name__)
        self.seed = None if seed is None else int(seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}

    def _generator(self, device: Device) -> torch.Generator | None:
        if self.seed is None:
            return None
        generator = torch.Generator(device=device or "cpu")
        generator.manual_seed(self.seed & 0xFFFFFFFF)  # Keras's torch backend folds seeds to uint32
        return generator

    def _dtype(self, dtype: DType) -> torch.dtype:
        resolved = config.torch_dtype(dtype)
        if not resolved.is_floating_point:
            raise invalid("dtype", "must be a floating-point dtype", dtype, type(self).__name__)
        return resolved

    def _normal(self, shape, mean, stddev, dtype, device) -> torch.Tensor:
        size = tuple(shape)
        return torch.normal(
            mean, stddev, size=size, generator=self._generator(device), dtype=dtype, device=device
        )

    def _uniform(self, shape, minval, maxval, dtype, device) -> torch.Tensor:
        draw = torch.rand(tuple(shape), generator=self._generator(device), dtype=dtype, device=device)
        return (maxval - minval) * draw + minval

    def _truncated_normal(self, shape, mean, stddev, dtype, device) -> torch.Tensor:
        """A normal truncated to `mean +- 2 * stddev`."""
        if self.seed is None:  # exact inverse-CDF sampling, no extra memory
            out = torch.empty(tuple(shape), dtype=dtype, device=device)
            return torch.nn.init.trunc_normal_(out, 0.0, 1.0, -2.0, 2.0).mul_(stddev).add_(mean)
        # Keras's draw, for the same numbers under a seed: four candidates per value, keep the first
        # inside (-2, 2). All four miss with probability ~4e-6; Keras keeps an outlier, we clamp it.
        candidates = self._normal((*shape, 4), 0.0, 1.0, dtype, device)
        first_valid = ((candidates > -2) & (candidates < 2)).max(-1, keepdim=True)[1]
        draw = candidates.gather(-1, first_valid).squeeze(-1).clamp_(-2.0, 2.0)
        return draw.mul_(stddev).add_(mean)


class RandomNormal(RandomInitializer):
    """Draws from a normal distribution.

    Args:
        mean: mean of the distribution.
        stddev: standard deviation of the distribution.
        seed: integer for deterministic values, or `None` to use torch's global generator.

    Example:
    ```python
    values = torchkeras.initializers.RandomNormal(stddev=1.0, seed=1)(shape=(2, 2))
    ```
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape: Sequence[int], dtype: DType = None, device: Device = None) -> torch.Tensor:
        return self._normal(shape, self.mean, self.stddev, self._dtype(dtype), device)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Draws from a normal distribution truncated at two standard deviations from the mean.

    Args:
        mean: mean of the (untruncated) distribution.
        stddev: standard deviation of the (untruncated) distribution.
        seed: integer for deterministic values, or `None` to use torch's global generator.
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape: Sequence[int], dtype: DType = None, device: Device = None) -> torch.Tensor:
        return self._truncated_normal(shape, self.mean, self.stddev, self._dtype(dtype), device)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Draws uniformly from `[minval, maxval)`.

    Args:
        minval: lower bound of the range.
        maxval: upper bound of the range.
        seed: integer for deterministic values, or `None` to use torch's global generator.
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed)

    def __call__(self, shape: Sequence[int], dtype: DType = None, device: Device = None) -> torch.Tensor:
        return self._uniform(shape, self.minval, self.maxval, self._dtype(dtype), device)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class VarianceScaling(RandomInitializer):
    """Draws with a variance of `scale / n`, where `n` depends on the kernel's fans.

    `n` is `fan_in`, `fan_out` or their average (`mode`), at least 1. With
    `distribution="truncated_normal"` values come from a normal truncated at two standard deviations
    whose standard deviation is corrected so the variance is exactly `scale / n`;
    `"untruncated_normal"` uses a plain normal; `"uniform"` draws from `[-limit, limit]` with
    `limit = sqrt(3 * scale / n)`.

    Args:
        scale: positive scaling factor.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`.
        distribution: `"truncated_normal"` (also spelled `"normal"`), `"untruncated_normal"` or
            `"uniform"`.
        seed: integer for deterministic values, or `None` to use torch's global generator.
        input_axes: axes whose product is `fan_in` (with `output_axes`), instead of the Keras layout.
        output_axes: axes whose product is `fan_out` (with `input_axes`).
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Axes = None,
        output_axes: Axes = None,
    ):
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or scale <= 0.0:
            raise invalid("scale", "must be a positive float", scale, type(self).__name__)
        if isinstance(distribution, str) and distribution.lower() == "normal":
            distribution = "truncated_normal"
        self.scale = scale
        self.mode = check_choice(mode, ("fan_in", "fan_out", "fan_avg"), "mode", type(self).__name__)
        self.distribution = check_choice(
            distribution,
            ("truncated_normal", "untruncated_normal", "uniform"),
            "distribution",
            type(self).__name__,
        )
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed)

    def __call__(self, shape: Sequence[int], dtype: DType = None, device: Device = None) -> torch.Tensor:
        dtype = self._dtype(dtype)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "truncated_normal":
            return self._truncated_normal(shape, 0.0, math.sqrt(variance) / _TRUNCATED_STD, dtype, device)
        if self.distribution == "untruncated_normal":
            return self._normal(shape, 0.0, math.sqrt(variance), dtype, device)
        limit = math.sqrt(3.0 * variance)
        return self._uniform(shape, -limit, limit, dtype, device)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _NamedVarianceScaling(VarianceScaling):
    """A VarianceScaling with fixed scale/mode/distribution; only the seed and axes are arguments."""

    _scale: float = 1.0
    _mode: str = "fan_in"
    _distribution: str = "truncated_normal"

    def __init__(self, seed: int | None = None, input_axes: Axes = None, output_axes: Axes = None):
        super().__init__(self._scale, self._mode, self._distribution, seed, input_axes, output_axes)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_NamedVarianceScaling):
    """Glorot (Xavier) uniform: `U(-limit, limit)` with `limit = sqrt(6 / (fan_in + fan_out))`.

    Args:
        seed: integer for deterministic values, or `None` to use torch's global generator.
        input_axes: axes whose product is `fan_in` (with `output_axes`).
        output_axes: axes whose product is `fan_out` (with `input_axes`).
    """

    _mode, _distribution = "fan_avg", "uniform"


class GlorotNormal(_NamedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with variance `2 / (fan_in + fan_out)`.

    Args: as `GlorotUniform`.
    """

    _mode = "fan_avg"


class LecunUniform(_NamedVarianceScaling):
    """LeCun uniform: `U(-limit, limit)` with `limit = sqrt(3 / fan_in)`. Args: as `GlorotUniform`."""

    _distribution = "uniform"


class LecunNormal(_NamedVarianceScaling):
    """LeCun normal: truncated normal with variance `1 / fan_in` (the SELU companion).

    Args: as `GlorotUniform`.
    """


class HeUniform(_NamedVarianceScaling):
    """He uniform: `U(-limit, limit)` with `limit = sqrt(6 / fan_in)`. Args: as `GlorotUniform`."""

    _scale, _distribution = 2.0, "uniform"


class HeNormal(_NamedVarianceScaling):
    """He normal: truncated normal with variance `2 / fan_in` (the ReLU companion).

    Args: as `GlorotUniform`.
    """

    _scale = 2.0


class Orthogonal(RandomInitializer):
    """Draws a (semi-)orthogonal matrix, from the QR decomposition of a normal matrix.

    Tensors of rank > 2 are treated as `(prod(shape[:-1]), shape[-1])` matrices; the rows or the
    columns (whichever are fewer) are orthonormal, then everything is multiplied by `gain`.

    Args:
        gain: multiplicative factor applied to the matrix.
        seed: integer for deterministic values, or `None` to use torch's global generator.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain = gain
        super().__init__(seed)

    def __call__(self, shape: Sequence[int], dtype: DType = None, device: Device = None) -> torch.Tensor:
        if len(shape) < 2:
            raise invalid("shape", "must have rank 2 or more for the Orthogonal initializer", tuple(shape))
        dtype = self._dtype(dtype)
        work_dtype = dtype if dtype in (torch.float32, torch.float64) else torch.float32  # QR needs these
        rows, cols = math.prod(shape[:-1]), shape[-1]
        matrix = self._normal((max(rows, cols), min(rows, cols)), 0.0, 1.0, work_dtype, device)
        q, r = torch.linalg.qr(matrix)
        q = q * torch.sign(torch.diagonal(r))  # makes the decomposition unique (uniform over matrices)
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(tuple(shape))).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}
