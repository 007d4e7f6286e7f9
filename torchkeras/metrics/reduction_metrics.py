"""Reduction metrics: `Sum`, `Mean`, and `MeanMetricWrapper` (the mean of a per-sample function)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchkeras import config, losses
from torchkeras.losses.loss import apply_mask, get_mask, squeeze_or_expand_to_same_rank
from torchkeras.losses.serialization import serialize_object
from torchkeras.metrics.metric import Metric
from torchkeras.utils import nest

__all__ = ["Mean", "MeanMetricWrapper", "Sum", "reduce_to_samplewise_values"]


def _reduce(fn: Callable[..., torch.Tensor], x: torch.Tensor, start: int, stop: int) -> torch.Tensor:
    return fn(x, dim=tuple(range(start, stop)))


def reduce_to_samplewise_values(
    values: Any,
    sample_weight: Any,
    reduce_fn: Callable[..., torch.Tensor],
    dtype: torch.dtype,
    device: torch.device | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Weights `values` by `sample_weight` (and any mask they carry) and reduces them to one
    value per sample with `reduce_fn` (`torch.sum` or `torch.mean`), as Keras does.

    Returns the per-sample values and the per-sample weights (`None` without weights).
    """
    mask = get_mask(values)
    values = nest.to_tensor(values, dtype=dtype, device=device)
    if sample_weight is not None:
        sample_weight = nest.to_tensor(sample_weight, dtype=dtype, device=values.device)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask.to(values.device), dtype=dtype, reduction="sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.dim(), values.dim()
        if values_ndim > weight_ndim:
            values = _reduce(reduce_fn, values, weight_ndim, values_ndim)
        values = values * sample_weight.expand(values.shape)
        if weight_ndim > 1:
            sample_weight = _reduce(reduce_fn, sample_weight, 1, weight_ndim)
    if values.dim() > 1:
        values = _reduce(reduce_fn, values, 1, values.dim())
    return values, sample_weight


class Sum(Metric):
    """Accumulates the (weighted) sum of the values it is given.

    Args:
        name: defaults to `"sum"`.
        dtype: see `Metric`.

    Example:
    ```python
    metric = Sum()
    metric.update_state(torch.tensor([1.0, 3.0, 5.0, 7.0]))
    metric.result()  # tensor(16.)
    ```
    """

    def __init__(self, name: str = "sum", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        dtype = config.torch_dtype(self.dtype)
        values, _ = reduce_to_samplewise_values(values, sample_weight, torch.sum, dtype, self._device)
        self.total.assign_add(values.sum())

    def reset_state(self) -> None:
        self.total.assign(0)

    def result(self) -> torch.Tensor:
        return self.total.to(config.torch_dtype(self.dtype), copy=True)


class Mean(Metric):
    """Accumulates the (weighted) mean of the values it is given.

    With `sample_weight`, the result is `sum(values * weights) / sum(weights)`.

    Args:
        name: defaults to `"mean"`.
        dtype: see `Metric`.

    Example:
    ```python
    metric = Mean()
    metric.update_state(torch.tensor([1.0, 3.0, 5.0, 7.0]))
    metric.result()  # tensor(4.)
    ```
    """

    def __init__(self, name: str = "mean", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        dtype = config.torch_dtype(self.dtype)
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, torch.mean, dtype, self._device
        )
        self.total.assign_add(values.sum())
        if sample_weight is not None:
            self.count.assign_add(sample_weight.sum())
        else:
            self.count.assign_add(values.shape[0] if values.dim() >= 1 else 1)

    def reset_state(self) -> None:
        self.total.assign(0)
        self.count.assign(0)

    def result(self) -> torch.Tensor:
        count = self.count.detach()
        return torch.where(
            count == 0, torch.zeros_like(count), self.total / torch.where(count == 0, 1, count)
        )


class MeanMetricWrapper(Mean):
    """The mean of a per-sample function `fn(y_true, y_pred, **kwargs)` over everything seen.

    A mask carried by `y_pred` (its `_keras_mask`) is folded into `sample_weight`.

    Args:
        fn: the function, e.g. `torchkeras.losses.mean_squared_error`.
        name: name of the metric; defaults to `"mean_metric_wrapper"`.
        dtype: see `Metric`.
        **kwargs: keyword arguments passed to `fn`.
    """

    def __init__(
        self, fn: Callable[..., torch.Tensor], name: str | None = None, dtype: Any = None, **kwargs: Any
    ):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if any(fn is obj or type(fn) is obj for obj in losses.ALL_OBJECTS_DICT.values()):
            self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        mask = get_mask(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            dtype = config.torch_dtype(self.dtype)
            device = values.device if isinstance(values, torch.Tensor) else self._device
            if sample_weight is not None:
                sample_weight = nest.to_tensor(sample_weight, dtype=dtype, device=device)
            sample_weight = apply_mask(sample_weight, mask.to(device), dtype=dtype, reduction="sum")
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "fn": serialize_object(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MeanMetricWrapper:
        if "fn" in config and not callable(config["fn"]):
            from torchkeras.metrics import deserialize

            config = {**config, "fn": deserialize(config["fn"])}
        return cls(**config)
