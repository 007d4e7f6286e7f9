"""Argument checks and small tensor helpers of the optimizer base."""

from __future__ import annotations

import numbers
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from typing import Any

import torch

from torchkeras import config as tk_config
from torchkeras.optimizers.schedules import learning_rate_schedule as lr_schedules
from torchkeras.utils.validation import invalid

__all__ = [
    "check_common_arguments",
    "init_torch_optimizer_fields",
    "initial_value",
    "is_lr_function",
    "learning_rate_value",
    "optional_number",
    "round_to",
]

Tensor = torch.Tensor


def is_lr_function(value: Any) -> bool:
    """Whether `value` is a schedule or another callable (rather than a constant)."""
    return isinstance(value, lr_schedules.LearningRateSchedule) or (
        callable(value) and not isinstance(value, Tensor)
    )


def learning_rate_value(value: Any, owner: str) -> float:
    """Checks a constant learning rate; returns it as a float."""
    if isinstance(value, Tensor) or hasattr(value, "dtype"):  # 0-d tensors and NumPy scalars
        value = float(value) if getattr(value, "ndim", 1) == 0 else value
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise invalid(
            "learning_rate",
            "must be a non-negative float, a `LearningRateSchedule` or a callable",
            value,
            owner,
        )
    return float(value)


def optional_number(value: Any, argument: str, owner: str, positive: bool = False) -> float | None:
    """Returns `value` if it is None or a number >= 0 (> 0 when `positive`), else raises."""
    if value is None:
        return None
    bad = isinstance(value, bool) or not isinstance(value, numbers.Real)
    if bad or value < 0 or (positive and value == 0):
        expected = (
            "must be a positive number or None" if positive else "must be a non-negative number or None"
        )
        raise invalid(argument, expected, value, owner)
    return value


def round_to(value: float, dtype: torch.dtype) -> float:
    """`value` as stored in a `dtype` tensor (on the CPU: no device sync)."""
    return torch.tensor(value, dtype=dtype).item()


def initial_value(initializer: Any, shape: Sequence[int], dtype: torch.dtype, device: Any) -> Tensor:
    """A new tensor filled by `initializer`: "zeros", "ones", a number, or a callable(shape, dtype)."""
    if isinstance(initializer, str) and initializer in ("zeros", "ones"):
        value = 0.0 if initializer == "zeros" else 1.0
        return torch.full(tuple(shape), value, dtype=dtype, device=device)
    if isinstance(initializer, numbers.Number) and not isinstance(initializer, bool):
        return torch.full(tuple(shape), initializer, dtype=dtype, device=device)
    if isinstance(initializer, str):
        from torchkeras import initializers  # lower layer, imported lazily

        initializer = initializers.get(initializer)
    if not callable(initializer):
        raise invalid("initializer", 'must be "zeros", "ones", a number or a callable', initializer)
    value = initializer(tuple(shape), dtype=tk_config.standardize_dtype(dtype))
    return torch.as_tensor(value, dtype=dtype, device=device).clone()


def check_common_arguments(
    owner: str,
    clipnorm: Any,
    clipvalue: Any,
    global_clipnorm: Any,
    use_ema: bool,
    ema_momentum: Any,
    ema_overwrite_frequency: Any,
    gradient_accumulation_steps: Any,
) -> None:
    """Validates the clipping, EMA and accumulation arguments shared by all optimizers."""
    for argument, value in (
        ("clipnorm", clipnorm),
        ("clipvalue", clipvalue),
        ("global_clipnorm", global_clipnorm),
    ):
        optional_number(value, argument, owner)
    if sum(arg is not None for arg in (clipnorm, clipvalue, global_clipnorm)) > 1:
        raise ValueError(
            "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
            f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
        )
    if use_ema:
        if (
            isinstance(ema_momentum, bool)
            or not isinstance(ema_momentum, numbers.Real)
            or not 0 <= ema_momentum <= 1
        ):
            raise invalid("ema_momentum", "must be a number in [0, 1]", ema_momentum, owner)
        if ema_overwrite_frequency and (
            not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
        ):
            raise invalid(
                "ema_overwrite_frequency", "must be an integer >= 1 or None", ema_overwrite_frequency, owner
            )
    steps = gradient_accumulation_steps
    if steps and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 2):
        raise invalid("gradient_accumulation_steps", "must be an integer >= 2", steps, owner)


def init_torch_optimizer_fields(optimizer: torch.optim.Optimizer) -> None:
    """Sets what `torch.optim.Optimizer.__init__` sets, without parameters (added at build)."""
    optimizer.defaults = {"lr": None, "foreach": True}
    optimizer._optimizer_step_pre_hooks = OrderedDict()
    optimizer._optimizer_step_post_hooks = OrderedDict()
    optimizer._optimizer_state_dict_pre_hooks = OrderedDict()
    optimizer._optimizer_state_dict_post_hooks = OrderedDict()
    optimizer._optimizer_load_state_dict_pre_hooks = OrderedDict()
    optimizer._optimizer_load_state_dict_post_hooks = OrderedDict()
    optimizer._patch_step_function()
    optimizer.state = defaultdict(dict)
    optimizer.param_groups = []
    optimizer._warned_capturable_if_run_uncaptured = True
