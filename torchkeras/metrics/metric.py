"""The `Metric` base class and `MetricVariable`, the in-place state tensor it tracks."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.losses.loss import standardize_compute_dtype
from torchkeras.utils import nest
from torchkeras.utils.naming import unique_name

__all__ = ["Metric", "MetricVariable", "follows_inputs"]


class MetricVariable(torch.Tensor):
    """A metric's state: a plain torch tensor that also answers Keras's Variable API.

    `assign`, `assign_add` and `assign_sub` update it in place, and `Metric.to(device)` swaps its
    storage in place, so references held by the metric (or a trainer) stay valid. Arithmetic and
    torch functions on it return ordinary tensors, as with `torch.nn.Parameter`.

    Args:
        data: the initial value.
        name: the Keras name (e.g. `"total"`).
        aggregation: how replicas combine it (`"sum"`, `"mean"`, ...), for distributed training.
        path: `"<metric name>/<name>"`.
    """

    __torch_function__ = torch._C._disabled_torch_function_impl

    def __new__(
        cls, data: torch.Tensor, name: str | None = None, aggregation: str = "sum", path: str | None = None
    ) -> MetricVariable:
        variable = torch.Tensor._make_subclass(cls, data.detach(), False)
        variable._keras_name = name or "variable"
        variable._keras_path = path or variable._keras_name
        variable.aggregation = aggregation
        return variable

    @property
    def name(self) -> str:
        return self._keras_name

    @property
    def path(self) -> str:
        return self._keras_path

    @property
    def trainable(self) -> bool:
        return False

    @property
    def value(self) -> torch.Tensor:
        """The state as an ordinary tensor sharing this variable's storage."""
        return self.detach()

    def _coerce(self, value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return value if value.device == self.device else value.to(self.device)
        if isinstance(value, (int, float, bool)):
            return value
        return nest.to_tensor(value, dtype=self.dtype, device=self.device)

    def assign(self, value: Any) -> MetricVariable:
        """Sets the value in place (broadcasting `value` to the variable's shape)."""
        if _records_nothing(self, value):
            self.fill_(value)
            return self
        with torch.no_grad():
            value = self._coerce(value)
            if isinstance(value, torch.Tensor):
                self.copy_(value)
            else:
                self.fill_(value)
        return self

    def assign_add(self, delta: Any) -> MetricVariable:
        """Adds `delta` in place."""
        if _records_nothing(self, delta):
            self.add_(delta)
            return self
        with torch.no_grad():
            self.add_(self._coerce(delta))
        return self

    def assign_sub(self, delta: Any) -> MetricVariable:
        """Subtracts `delta` in place."""
        if _records_nothing(self, delta):
            self.sub_(delta)
            return self
        with torch.no_grad():
            self.sub_(self._coerce(delta))
        return self

    def numpy(self) -> np.ndarray:  # type: ignore[override]
        """The value as a NumPy array (copied to host)."""
        value = self.detach()
        if value.dtype == torch.bfloat16:
            value = value.float()
        return value.cpu().numpy()

    def _move_to(self, device: torch.device) -> None:
        if self.device != device:
            self.data = self.data.to(device)

    def __deepcopy__(self, memo: dict) -> MetricVariable:
        if id(self) in memo:
            return memo[id(self)]
        result = MetricVariable(self.data.clone(), self._keras_name, self.aggregation, self._keras_path)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (_rebuild_variable, (self.data, self._keras_name, self.aggregation, self._keras_path))

    def __repr__(self) -> str:
        return (
            f"<MetricVariable path={self.path}, shape={tuple(self.shape)}, "
            f"dtype={config.standardize_dtype(self.dtype)}, value={self.numpy()}>"
        )


def _records_nothing(variable: torch.Tensor, value: Any) -> bool:
    """Whether an in-place update of `variable` by `value` needs no `torch.no_grad()` (a context
    that costs more than the update): a Python number into a variable that needs no gradient."""
    kind = type(value)
    return (kind is int or kind is float or kind is bool) and not variable.requires_grad


def _rebuild_variable(data: torch.Tensor, name: str, aggregation: str, path: str) -> MetricVariable:
    return MetricVariable(data, name, aggregation, path)


def _initial_value(initializer: Any, shape: Sequence[int], dtype: torch.dtype, device: Any) -> torch.Tensor:
    shape = tuple(shape)
    if initializer is None or initializer == "zeros":
        return torch.zeros(shape, dtype=dtype, device=device)
    if initializer == "ones":
        return torch.ones(shape, dtype=dtype, device=device)
    if isinstance(initializer, str):
        from torchkeras import initializers  # a lower layer; imported only for other names

        initializer = initializers.get(initializer)
    if callable(initializer):
        value = initializer(shape, dtype=config.standardize_dtype(dtype))
    else:
        value = initializer
    return nest.to_tensor(value, dtype=dtype, device=device).expand(shape).clone()


def _first_tensor_device(args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.device | None:
    for value in (*args[:2], kwargs.get("y_true"), kwargs.get("y_pred"), kwargs.get("values")):
        if isinstance(value, torch.Tensor):
            return value.device
    return None


class Metric:
    """Base class for stateful metrics: subclass it, create state with `add_variable` in
    `__init__`, then implement `update_state(...)` and `result()`.

    State lives in `MetricVariable` tensors on the device of the data (set once with
    `to(device)`, or followed automatically when `update_state` first sees tensors elsewhere);
    `update_state` never copies anything to the host.

    Args:
        dtype: dtype of the computation; defaults to `torchkeras.config.floatx()`.
        name: name of the metric; defaults to the snake_case class name.

    Example:
    ```python
    class BinaryTruePositives(Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = (y_true.bool() & y_pred.bool()).float()
            if sample_weight is not None:
                values = values * sample_weight
            self.true_positives.assign_add(values.sum())

        def result(self):
            return self.true_positives
    ```
    """

    def __init__(self, dtype: Any = None, name: str | None = None):
        self.name = name or unique_name(type(self).__name__)
        self._dtype = standardize_compute_dtype(dtype)
        self._torch_dtype = config.torch_dtype(self._dtype)
        self._device: torch.device | None = None
        self._variables: list[MetricVariable] = []
        self._metrics: list[Metric] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        update_state = cls.__dict__.get("update_state")
        if update_state is not None and not getattr(update_state, "_follows_inputs", False):
            cls.update_state = _following_inputs(update_state)

    @property
    def dtype(self) -> str:
        """The dtype of the computation, as a string (e.g. `"float32"`)."""
        return self._dtype

    @property
    def variables(self) -> list[MetricVariable]:
        """This metric's state, then that of metrics assigned as its attributes."""
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    @property
    def device(self) -> torch.device | None:
        """Where the state lives (`None` until `to` is called or data is seen)."""
        return self._device

    def add_variable(
        self,
        shape: Sequence[int],
        initializer: str | Callable[..., Any] | None,
        dtype: Any = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> MetricVariable:
        """Creates a state tensor, tracks it, and returns it.

        Args:
            shape: the shape, e.g. `()` for a scalar.
            initializer: `"zeros"`, `"ones"`, another initializer name, or a callable
                `initializer(shape, dtype=...)`.
            dtype: defaults to `torchkeras.config.floatx()`.
            aggregation: how replicas combine it (`"sum"`, `"mean"`, `"only_first_replica"`).
            name: the variable name.
        """
        self._check_super_called()
        value = _initial_value(initializer, shape, config.torch_dtype(dtype), self._device)
        path = f"{self.name}/{name or 'variable'}"
        variable = MetricVariable(value, name=name, aggregation=aggregation, path=path)
        self._variables.append(variable)
        return variable

    def add_weight(
        self, shape: Sequence[int] = (), initializer: Any = None, dtype: Any = None, name: str | None = None
    ) -> MetricVariable:
        """Same as `add_variable`, with Keras's older argument defaults."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulates statistics from a batch. Subclasses implement this."""
        raise NotImplementedError(f"{type(self).__name__} must implement `update_state`.")

    def result(self) -> torch.Tensor:
        """Returns the metric value from the accumulated state. Subclasses implement this."""
        raise NotImplementedError(f"{type(self).__name__} must implement `result`.")

    def reset_state(self) -> None:
        """Sets every state variable back to zero."""
        with torch.no_grad():
            for variable in self.variables:
                variable.zero_()

    def __call__(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        """Updates the state with this batch and returns the new result."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    def to(self, device: torch.device | str) -> Metric:
        """Moves all state to `device` in place (variables keep their identity). Returns `self`."""
        device = torch.empty(0, device=device).device
        self._device = device
        for variable in self._variables:
            variable._move_to(device)
        for metric in self._metrics:
            metric.to(device)
        return self

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        return cls(**config)

    def __setattr__(self, name: str, value: Any) -> None:
        tracked = self.__dict__.get("_metrics")
        if tracked is not None and isinstance(value, Metric) and not any(value is m for m in tracked):
            tracked.append(value)
        variables = self.__dict__.get("_variables")
        if (
            variables is not None
            and isinstance(value, MetricVariable)
            and not any(value is v for v in variables)
        ):
            variables.append(value)
        super().__setattr__(name, value)

    def _check_super_called(self) -> None:
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                "You forgot to call `super().__init__()` in the `__init__()` method. Go add it!"
            )

    def _follow(self, device: torch.device) -> None:
        """Moves the state to `device` when the data arrives somewhere else (done once)."""
        if device != self._device:
            self.to(device)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def follows_inputs(update_state: Callable[..., Any]) -> Callable[..., Any]:
    """Marks an `update_state` that moves the state to its inputs' device itself (as `Mean`'s
    does, where it touches the state), so that `Metric` does not wrap it: no extra call on
    every update. Returns `update_state`, marked."""
    update_state._follows_inputs = True  # type: ignore[attr-defined]
    return update_state


def _following_inputs(update_state: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a subclass's `update_state` so the state first moves to the inputs' device."""

    @functools.wraps(update_state)
    def wrapper(self: Metric, *args: Any, **kwargs: Any) -> Any:
        first = args[0] if args else None
        device = first.device if isinstance(first, torch.Tensor) else _first_tensor_device(args, kwargs)
        if device is not None and device != self._device:
            self._follow(device)
        return update_state(self, *args, **kwargs)

    return follows_inputs(wrapper)
