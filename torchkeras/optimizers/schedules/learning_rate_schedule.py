"""Learning rate schedules: functions of the optimizer step, evaluated on the device as tensors."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from torchkeras import config as tk_config
from torchkeras.utils.registry import ObjectTable, register_builtin
from torchkeras.utils.validation import invalid

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]


def _float_step(step: Any, like: Any) -> torch.Tensor:
    """`step` as a float tensor, in the dtype Keras would use for `like` (floatx for numbers)."""
    dtype = like.dtype if isinstance(like, torch.Tensor) else tk_config.torch_dtype(None)
    if isinstance(step, torch.Tensor):
        return step.to(dtype)
    return torch.tensor(step, dtype=dtype)


def _check_decay_steps(value: Any, argument: str = "decay_steps") -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise invalid(argument, "must be > 0", value)


class LearningRateSchedule:
    """Base class of learning rate schedules.

    A schedule maps the optimizer's step counter (`optimizer.iterations`, a tensor) to a learning
    rate. Subclasses implement `__call__(step)` with torch ops, so no value is read on the host,
    and `get_config()` so the schedule can be saved.

    Example:
    ```python
    class Halving(LearningRateSchedule):
        def __init__(self, initial_learning_rate):
            self.initial_learning_rate = initial_learning_rate

        def __call__(self, step):
            return self.initial_learning_rate * 0.5 ** (step // 1000)

        def get_config(self):
            return {"initial_learning_rate": self.initial_learning_rate}

    optimizer = keras.optimizers.SGD(learning_rate=Halving(0.1))
    ```
    """

    def __call__(self, step: Any) -> torch.Tensor:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LearningRateSchedule:
        """Creates a schedule from the dict returned by `get_config()`."""
        return cls(**config)


class _BuiltinSchedule(LearningRateSchedule):
    """A built-in schedule: its config is the attributes named in `_config_keys`, in Keras's order."""

    _config_keys: tuple[str, ...] = ()

    def get_config(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self._config_keys}


class _TimeDecay(_BuiltinSchedule):
    """Exponential and inverse-time decay: both decay with `step / decay_steps` (floored with
    `staircase`) at the rate `decay_rate`."""

    _config_keys = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name")

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        decay_rate: float,
        staircase: bool,
        name: str,
    ):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _progress(self, step: Any) -> torch.Tensor:
        p = _float_step(step, self.initial_learning_rate) / self.decay_steps
        return torch.floor(p) if self.staircase else p


class ExponentialDecay(_TimeDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: positive number; the rate is multiplied by `decay_rate` every `decay_steps`.
        decay_rate: the decay factor.
        staircase: if `True`, `step / decay_steps` is floored, so the rate drops in steps.
        name: name of the schedule.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step: Any) -> torch.Tensor:
        return self.initial_learning_rate * torch.pow(self.decay_rate, self._progress(step))


class PiecewiseConstantDecay(_BuiltinSchedule):
    """`values[0]` up to `boundaries[0]` (inclusive), `values[1]` up to `boundaries[1]`, ...

    Args:
        boundaries: increasing step boundaries.
        values: the learning rates, one more than `boundaries`.
        name: name of the schedule.

    Example:
    ```python
    # 1.0 for steps 0..100000, 0.5 for steps 100001..110000, then 0.1.
    schedule = PiecewiseConstantDecay([100000, 110000], [1.0, 0.5, 0.1])
    ```
    """

    _config_keys = ("boundaries", "values", "name")

    def __init__(self, boundaries: Sequence[float], values: Sequence[float], name: str = "PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, "
                f"and values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name
        self._tables: dict[tuple[torch.device, torch.dtype], tuple[torch.Tensor, torch.Tensor]] = {}

    def _table(self, step: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Boundaries (in the step's dtype, as Keras casts them) and values, cached per device."""
        key = (step.device, step.dtype)
        if key not in self._tables:
            boundaries = torch.tensor(list(self.boundaries), device=step.device).to(step.dtype)
            dtype = tk_config.torch_dtype(None)
            values = torch.tensor([float(v) for v in self.values], dtype=dtype, device=step.device)
            self._tables[key] = (boundaries, values)
        return self._tables[key]

    def __call__(self, step: Any) -> torch.Tensor:
        step = step if isinstance(step, torch.Tensor) else torch.tensor(step)
        boundaries, values = self._table(step)
        # Index i such that boundaries[i-1] < step <= boundaries[i]: exactly Keras's ranges.
        index = torch.searchsorted(boundaries, step.reshape(1), right=False)
        return values[index].reshape(step.shape)


class PolynomialDecay(_BuiltinSchedule):
    """Decays from `initial_learning_rate` to `end_learning_rate` along `(1 - step / decay_steps) ** power`.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: positive number of steps to reach `end_learning_rate`.
        end_learning_rate: the final learning rate.
        power: the power of the polynomial (`1.0` is linear).
        cycle: if `True`, restart the decay every `decay_steps` (with a longer period each time).
        name: name of the schedule.
    """

    _config_keys = ("initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle", "name")

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: Any) -> torch.Tensor:
        step = _float_step(step, self.initial_learning_rate)
        if self.cycle:
            periods = torch.where(step == 0, 1.0, torch.ceil(step / self.decay_steps))
            decay_steps = self.decay_steps * periods
        else:
            step = torch.clamp_max(step, self.decay_steps)
            decay_steps = self.decay_steps
        p = step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * torch.pow(1 - p, self.power) + self.end_learning_rate


class InverseTimeDecay(_TimeDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: positive number of steps per unit of decay.
        decay_rate: the decay factor.
        staircase: if `True`, `step / decay_steps` is floored.
        name: name of the schedule.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step: Any) -> torch.Tensor:
        return self.initial_learning_rate / (1 + self.decay_rate * self._progress(step))


def _cosine(fraction: torch.Tensor, alpha: float) -> torch.Tensor:
    """`(1 - alpha) * 0.5 * (1 + cos(pi * fraction)) + alpha`."""
    return (1 - alpha) * (0.5 * (1.0 + torch.cos(math.pi * fraction))) + alpha


class CosineDecay(_BuiltinSchedule):
    """Optional linear warmup, then a cosine decay over `decay_steps`.

    Without `warmup_target`, decays from `initial_learning_rate` to
    `alpha * initial_learning_rate`. With it, rises linearly from `initial_learning_rate` to
    `warmup_target` over `warmup_steps`, then decays from `warmup_target`.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: positive number of decay steps.
        alpha: the final rate as a fraction of the rate the decay starts from.
        name: name of the schedule.
        warmup_target: the rate reached at the end of the warmup; `None` disables the warmup.
        warmup_steps: number of warmup steps.
    """

    _config_keys = (
        "initial_learning_rate",
        "decay_steps",
        "alpha",
        "name",
        "warmup_target",
        "warmup_steps",
    )

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def __call__(self, step: Any) -> torch.Tensor:
        step = _float_step(step, self.initial_learning_rate)
        if self.warmup_target is None:
            step = torch.clamp_max(step, self.decay_steps)
            return self.initial_learning_rate * _cosine(step / self.decay_steps, self.alpha)
        step = torch.clamp_max(step, self.decay_steps + self.warmup_steps)
        rise = self.warmup_target - self.initial_learning_rate
        warmup = rise * (step / self.warmup_steps) + self.initial_learning_rate
        decay = self.warmup_target * _cosine((step - self.warmup_steps) / self.decay_steps, self.alpha)
        return torch.where(step < self.warmup_steps, warmup, decay)


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): each period is `t_mul` times longer than the last,
    and starts from `m_mul` times the previous initial rate.

    Args:
        initial_learning_rate: the learning rate at step 0.
        first_decay_steps: positive length of the first period.
        t_mul: period length multiplier.
        m_mul: initial learning rate multiplier per period.
        alpha: the final rate of each period as a fraction of its initial rate.
        name: name of the schedule.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int | float,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ):
        _check_decay_steps(first_decay_steps, "first_decay_steps")
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step: Any) -> torch.Tensor:
        fraction = _float_step(step, self.initial_learning_rate) / self.first_decay_steps
        t_mul = float(self._t_mul)
        if t_mul == 1.0:
            restarts = torch.floor(fraction)
            fraction = fraction - restarts
        else:
            restarts = torch.floor(torch.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            period_start = (1.0 - torch.pow(t_mul, restarts)) / (1.0 - t_mul)
            fraction = (fraction - period_start) / torch.pow(t_mul, restarts)
        m_factor = torch.pow(float(self._m_mul), restarts)
        cosine = 0.5 * m_factor * (1.0 + torch.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_SCHEDULES = {
    cls.__name__: cls
    for cls in (
        LearningRateSchedule,
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}
for _cls in _SCHEDULES.values():
    register_builtin(_cls)


_TABLE = ObjectTable(_SCHEDULES, "keras.optimizers.schedules", "learning rate schedule")


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict[str, Any]:
    """Returns Keras's serialized form: `{"module", "class_name", "config", "registered_name"}`."""
    return _TABLE.serialize(learning_rate_schedule)


def deserialize(
    config: Mapping[str, Any] | str, custom_objects: Mapping[str, Any] | None = None
) -> LearningRateSchedule:
    """Rebuilds a schedule from `serialize`'s output (or a class name), through the registry only."""
    return _TABLE.deserialize(config, custom_objects)
