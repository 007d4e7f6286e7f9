"""Reduction metrics: `Sum`, `Mean`, and `MeanMetricWrapper` (the mean of a per-sample function)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchkeras import losses
from torchkeras.losses.loss import (
    apply_mask,
    exact_integer_limit,
    get_mask,
    scalar_tensor,
    squeeze_or_expand_to_same_rank,
)
from torchkeras.metrics.metric import Metric, follows_inputs
from torchkeras.utils import nest
from torchkeras.utils.registry import serialize_object

__all__ = ["BuiltinMetricWrapper", "Mean", "MeanMetricWrapper", "Sum", "reduce_to_samplewise_values"]

# How many batches' matches a `MeanMetricWrapper` keeps before summing them (bounds its memory).
_MAX_PENDING = 1024


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
        sample_weight = sample_weight.expand(values.shape)  # broadcast weights count once per value
        values = values * sample_weight
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
        dtype = self._torch_dtype
        values, _ = reduce_to_samplewise_values(values, sample_weight, torch.sum, dtype, self._device)
        self.total.assign_add(values.sum())

    def reset_state(self) -> None:
        self.total.assign(0)

    def result(self) -> torch.Tensor:
        return self.total.to(self._torch_dtype, copy=True)


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
        _note_sign(self.count, positive=False)

    @follows_inputs  # `_accumulate` moves the state where it adds to it
    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        self._accumulate(values, sample_weight)

    def reset_state(self) -> None:
        self.total.assign(0)
        self.count.assign(0)
        _note_sign(self.count, positive=False)

    def result(self) -> torch.Tensor:
        count = self.count
        note = getattr(count, "_sign_note", None)
        if note is not None and note[1] and note[0] == count._version:
            return self.total / count  # one op: what `divide_no_nan` gives for a positive count
        count = count.detach()
        return torch.where(
            count == 0, torch.zeros_like(count), self.total / torch.where(count == 0, 1, count)
        )

    def _accumulate(self, values: Any, sample_weight: Any) -> None:
        """The body of `update_state`: direct updates for the per-step cases (a tensor of the
        metric's dtype, no mask, no weights or one Python-number weight for a scalar), the
        general weighting and reduction otherwise."""
        if isinstance(values, torch.Tensor):
            if values.device != self._device:
                self._follow(values.device)
            if values.dtype == self._torch_dtype and get_mask(values) is None:
                if values.requires_grad:
                    values = values.detach()
                rank = values.dim()
                if sample_weight is None and rank == 1:
                    self.total.add_(values.sum())
                    self._add_count(values.shape[0])
                    return
                if rank == 0 and _is_number(sample_weight):  # e.g. the batch size
                    weight = scalar_tensor(sample_weight, self._torch_dtype)
                    self.total.add_(values * weight)
                    self._add_count(sample_weight, weight)
                    return
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, torch.mean, self._torch_dtype, self._device
        )
        self.total.assign_add(values.sum())
        if sample_weight is not None:
            self.count.assign_add(sample_weight.sum())
            _note_sign(self.count, positive=None)
        else:
            self._add_count(values.shape[0] if values.dim() >= 1 else 1)

    def _add_count(self, increment: float, as_tensor: torch.Tensor | None = None) -> None:
        """Adds a number known on the host to `count`, keeping track of the count's sign."""
        count = self.count
        if torch.compiler.is_compiling():  # a compiled step cannot read versions: no note
            count.add_(increment if as_tensor is None else as_tensor)
            return
        note = getattr(count, "_sign_note", None)
        current = note is not None and note[0] == count._version
        if as_tensor is None:
            limit = exact_integer_limit(count.dtype)
            # A cached tensor of an exact value gives the same sum as the Python number, faster.
            as_tensor = scalar_tensor(increment, count.dtype) if -limit <= increment <= limit else increment
        count.add_(as_tensor)
        if current and increment >= 0:
            _note_sign(count, positive=note[1] or increment >= 1)
        else:
            _note_sign(count, positive=None)


def _is_number(value: Any) -> bool:
    """A Python `float`, or an `int` exact in float64: a weight that `torch.tensor` converts to
    any dtype exactly as `nest.to_tensor` does."""
    kind = type(value)
    return kind is float or (kind is int and -(2**53) <= value <= 2**53)


def _note_sign(count: torch.Tensor, positive: bool | None) -> None:
    """Records that `count`, as it is now, is `>= 0` and whether it is `> 0` (`None`: unknown).

    The note holds the tensor's version: any later in-place write bumps it, and copies or pickles
    of the variable do not carry the note, so a stale note is never trusted.
    """
    count._sign_note = None if positive is None else (count._version, positive)


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
        self._pending_matches: list[torch.Tensor] = []  # see `_batch_matches`, summed when read
        if any(fn is obj or type(fn) is obj for obj in losses.ALL_OBJECTS_DICT.values()):
            self._direction = "down"
        # Built-in functions never differentiate, so they may run on a detached `y_pred`.
        self._graph_free = str(getattr(fn, "__module__", None)).startswith("torchkeras.")

    @follows_inputs  # the state moves with the kept batches, or in `_accumulate`
    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        mask = getattr(y_pred, "_keras_mask", None)  # `get_mask`, inlined: every step
        if mask is None and sample_weight is None:
            matches = self._batch_matches(y_true, y_pred)
            if matches is not None:
                if torch.compiler.is_compiling():  # a compiled step adds in its graph
                    self.total.add_(matches.sum(dtype=self._torch_dtype))
                    self._add_count(matches.shape[0])
                    return
                # Kept as they come, counted in one sum when the state is read: no op per step.
                if matches.device != self._device:  # moved now (kept ones first): compiled steps add there
                    self._follow(matches.device)
                pending = self._pending_matches
                pending.append(matches)
                if len(pending) >= _MAX_PENDING:
                    self._flush()
                return
        self._flush()
        if self._graph_free and isinstance(y_pred, torch.Tensor) and y_pred.requires_grad:
            y_pred = y_pred.detach()
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            dtype = self._torch_dtype
            device = values.device if isinstance(values, torch.Tensor) else self._device
            if sample_weight is not None:
                sample_weight = nest.to_tensor(sample_weight, dtype=dtype, device=device)
            sample_weight = apply_mask(sample_weight, mask.to(device), dtype=dtype, reduction="sum")
        self._accumulate(values, sample_weight)

    def _flush(self) -> None:
        """Adds the kept matches to the state (one `cat` and one sum for all of them)."""
        pending = self._pending_matches
        if not pending:
            return
        self._pending_matches = []
        matches = torch.cat(pending) if len(pending) > 1 else pending[0]
        if matches.device != self._device:
            self._follow(matches.device)
        self.total.add_(matches.sum(dtype=self._torch_dtype))
        self._add_count(matches.shape[0])

    def result(self) -> torch.Tensor:
        self._flush()
        return super().result()

    def reset_state(self) -> None:
        self._pending_matches = []
        super().reset_state()

    @property
    def variables(self) -> list[Any]:
        self._flush()
        return super().variables

    def to(self, device: torch.device | str) -> MeanMetricWrapper:
        self._flush()
        return super().to(device)

    def _batch_matches(self, y_true: Any, y_pred: Any) -> torch.Tensor | None:
        """A shortcut for 0/1 metrics: a boolean tensor with one entry per sample (trailing axes
        of size 1 allowed, the same rank for every batch), whose count of `True` is exactly the
        sum `fn` would give, or `None` to take the general path. Accuracy metrics implement it."""
        return None

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "fn": serialize_object(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MeanMetricWrapper:
        if "fn" in config and not callable(config["fn"]):
            from torchkeras.metrics import deserialize

            config = {**config, "fn": deserialize(config["fn"])}
        return cls(**config)


class BuiltinMetricWrapper(MeanMetricWrapper):
    """The base of the built-in metrics that average a function (`MeanSquaredError`, `Accuracy`, ...).

    `kwargs` go to `fn` on every update; those named in `_config_keys` are also kept as
    attributes and written after `name` and `dtype` in `get_config`, as Keras writes them.
    """

    _config_keys: tuple[str, ...] = ()

    def __init__(self, fn: Callable[..., torch.Tensor], name: str, dtype: Any, **kwargs: Any):
        super().__init__(fn, name, dtype=dtype, **kwargs)
        for key in self._config_keys:
            setattr(self, key, kwargs[key])

    def get_config(self) -> dict[str, Any]:
        return {**Metric.get_config(self), **{key: getattr(self, key) for key in self._config_keys}}
