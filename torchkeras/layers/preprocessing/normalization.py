"""`Normalization`: shifts and scales features to zero mean and unit variance."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.layers.layer import Layer
from torchkeras.layers.preprocessing.adapt_data import adapt_batches
from torchkeras.utils.nest import to_tensor
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["Normalization"]


@register_builtin
class Normalization(Layer):
    """Normalizes features: `(inputs - mean) / sqrt(variance)` (the `sqrt` floored at
    `keras.config.epsilon()`), in training and at inference.

    The statistics are given (`mean` and `variance`) or learned from data with `adapt()`; they
    are kept separately for each index of the `axis` dimensions.

    Args:
        axis: integer, tuple of integers or `None`: the axes keeping their own statistics
            (`-1`, the default, means one mean and variance per feature of the last axis; `None`
            means a single scalar mean and variance).
        mean: optional mean value(s), broadcast to the kept axes (right-aligned).
        variance: optional variance value(s), same shape as `mean`; both or neither.
        invert: if `True`, undo the normalization: `mean + inputs * sqrt(variance)`.

    Input shape:
        Any shape whose kept axes have a known size.

    Output shape:
        Same as the input.

    Example:
    ```python
    layer = keras.layers.Normalization(axis=-1)
    layer.adapt(features)  # arrays, tensors, lists of batches or a DataLoader
    normalized = layer(features)
    ```
    """

    def __init__(
        self,
        axis: int | Iterable[int] | None = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        owner = self._owner
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            raise invalid("axis", "must be an integer, a tuple of integers or None", axis, owner)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self._build_input_shape: tuple | None = None
        if (mean is None) != (variance is None):
            raise ValueError(
                f"{owner}: `mean` and `variance` must be set together. "
                f"Received: mean={mean!r}, variance={variance!r}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    f"{owner}: `mean` and `variance` must have the same shape. "
                    f"Received: mean shape {np.shape(mean)}, variance shape {np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    f"{owner}: the rank of `mean` must be at most the number of axes ({len(self.axis)}). "
                    f"Received: mean shape {np.shape(mean)} for axis={self.axis}"
                )

    @property
    def _owner(self) -> str:
        return f"Normalization '{self.name}'"

    def build(self, input_shape: Any) -> None:
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise invalid(
                "axis",
                f"must be in the range [-{ndim}, {ndim}) for inputs of rank {ndim}",
                self.axis,
                self._owner,
            )
        self._build_input_shape = input_shape
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        unknown = [a for a in self._keep_axis if input_shape[a] is None]
        if unknown:
            raise ValueError(
                f"{self._owner}: the kept axes must have a known size. Received: axis={self.axis}, "
                f"input_shape={input_shape} (unknown axis {unknown[0]})"
            )
        self._reduce_axis = tuple(a for a in range(ndim) if a not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[a] if a in self._keep_axis else 1 for a in range(ndim))
        self._mean_and_var_shape = tuple(input_shape[a] for a in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                name="mean", shape=self._mean_and_var_shape, initializer="zeros", trainable=False
            )
            self.adapt_variance = self.add_weight(
                name="variance", shape=self._mean_and_var_shape, initializer="ones", trainable=False
            )
            # Kept (and never updated) for Keras's weight list and saved files.
            self.count = self.add_weight(
                name="count", shape=(), dtype="int32", initializer="zeros", trainable=False
            )
            return
        dtype = config.torch_dtype(self.compute_dtype)
        statistics = []
        for value in (self.input_mean, self.input_variance):
            value = torch.as_tensor(np.asarray(value, dtype="float64"))
            aligned = [1] * ndim  # right-align the given dimensions with the kept axes
            for i in range(1, value.ndim + 1):
                aligned[self._keep_axis[-i]] = value.shape[-i]
            value = value.reshape(aligned).broadcast_to(self._broadcast_shape).to(dtype)
            statistics.append(value.to(self._build_device or "cpu"))
        # Constants, not weights: they follow `.to(device)` but stay out of `state_dict`.
        self.register_buffer("_fixed_mean", statistics[0].contiguous(), persistent=False)
        self.register_buffer("_fixed_variance", statistics[1].contiguous(), persistent=False)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = inputs.to(config.torch_dtype(self.compute_dtype))
        if self.input_mean is None:
            mean = self.adapt_mean.reshape(self._broadcast_shape).to(inputs.dtype)
            variance = self.adapt_variance.reshape(self._broadcast_shape).to(inputs.dtype)
        else:
            mean, variance = self._fixed_mean.to(inputs.dtype), self._fixed_variance.to(inputs.dtype)
        scale = torch.sqrt(variance).clamp_min(config.epsilon())
        if self.invert:
            return mean + inputs * scale
        return (inputs - mean) / scale

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Computes the mean and variance of `data`, per index of the kept axes, and stores them.

        Args:
            data: a NumPy array or tensor (the whole data set); or an iterable of batches (a
                list of arrays, a generator, a `torch.utils.data.DataLoader`, a `PyDataset`),
                where `(x, y, ...)` batches contribute `x`. Iterables must yield batches: every
                element is taken as a batch of samples.
            batch_size: optional: stream an array or tensor in batches of this size.
            steps: optional: the number of batches to read (all by default).

        The result is the population variance (no Bessel correction), exactly as Keras: NumPy
        statistics for arrays, torch statistics for tensors, and for batches a running merge
        (mean and variance combined by batch counts, in float32).
        """
        if self.input_mean is not None:
            raise ValueError(f"{self._owner}: cannot `adapt()` a layer built with `mean` and `variance`.")
        whole, batches = adapt_batches(data, batch_size, steps)
        first = whole if whole is not None else next(batches, None)
        if first is None:
            raise ValueError(f"{self._owner}: `adapt()` received no data (an empty iterable).")
        self._check_adapt_shape(tuple(np.shape(first)))
        if isinstance(whole, np.ndarray):
            mean, variance = np.mean(whole, axis=self._reduce_axis), np.var(whole, axis=self._reduce_axis)
        elif whole is not None:
            mean, variance = self._tensor_moments(whole)
        else:
            mean, variance = self._streamed_moments(_chain(first, batches))
        self.adapt_mean.assign(mean)
        self.adapt_variance.assign(variance)

    def _check_adapt_shape(self, shape: tuple) -> None:
        if not self.built:
            self.build(shape)
            return
        for a in self._keep_axis:
            if len(shape) != len(self._build_input_shape) or shape[a] != self._build_input_shape[a]:
                raise ValueError(
                    f"{self._owner}: the layer was built for inputs of shape {self._build_input_shape}, "
                    f"but `adapt()` received data of incompatible shape {shape}."
                )

    def _tensor_moments(self, data: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not data.is_floating_point():
            data = data.to(config.torch_dtype(None))
        if not self._reduce_axis:
            return data, torch.zeros_like(data)
        return data.mean(dim=self._reduce_axis), data.var(dim=self._reduce_axis, correction=0)

    def _streamed_moments(self, batches: Iterator[Any]) -> tuple[torch.Tensor, torch.Tensor]:
        dtype = config.torch_dtype(self.compute_dtype)
        total_mean = total_var = torch.zeros(self._mean_and_var_shape, dtype=dtype)
        total_count = 0
        for batch in batches:
            batch = to_tensor(batch, dtype=dtype)
            total_mean, total_var = total_mean.to(batch.device), total_var.to(batch.device)
            if batch.ndim != len(self._build_input_shape) or any(
                batch.shape[a] != self._build_input_shape[a] for a in self._keep_axis
            ):
                raise ValueError(
                    f"{self._owner}: `adapt()` received a batch of shape {tuple(batch.shape)}, "
                    f"incompatible with {self._build_input_shape}."
                )
            batch_mean, batch_var = self._tensor_moments(batch)
            batch_count = math.prod(batch.shape[a] for a in self._reduce_axis)
            total_count += batch_count
            batch_weight = float(batch_count) / total_count
            existing_weight = 1.0 - batch_weight
            new_mean = total_mean * existing_weight + batch_mean * batch_weight
            # Merge the two groups' spreads: within-group variance plus the shift of each mean.
            total_var = (total_var + (total_mean - new_mean) ** 2) * existing_weight + (
                batch_var + (batch_mean - new_mean) ** 2
            ) * batch_weight
            total_mean = new_mean
        return total_mean, total_var

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_build_config(self) -> dict | None:
        if self._build_input_shape is None:
            return None
        return {"input_shape": list(self._build_input_shape)}

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest
