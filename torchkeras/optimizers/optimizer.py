"""The optimizer base: Keras 3's `Optimizer` API, built on `torch.optim.Optimizer`.

A Keras optimizer is created without variables (`Adam(1e-3)`) and bound to them later, either by
`build(variables)` or by the first `apply(grads, variables)`. Once built it is an ordinary
`torch.optim.Optimizer` (`step()`, `zero_grad()`, `param_groups`, `state`), whose `step()` performs
one Keras `apply` with the variables' `.grad`.

Host syncs are avoided: the step counter lives on the variables' device (`iterations`) and a host
copy of it is kept for the Python-side decisions (bias corrections, gradient accumulation, EMA
overwrites); a float learning rate is likewise kept both as a device tensor and on the host, and
schedules are evaluated as tensors. Both host copies are re-read (once) if the tensors are edited
in place, and a learning rate written to `param_groups[0]["lr"]` (by a torch LR scheduler) is
picked up at the next step.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import torch

from torchkeras import config as tk_config
from torchkeras.optimizers import foreach_utils
from torchkeras.optimizers.optimizer_state import OptimizerState
from torchkeras.optimizers.optimizer_utils import (
    check_common_arguments,
    init_torch_optimizer_fields,
    initial_value,
    is_lr_function,
    learning_rate_value,
    optional_number,
    round_to,
)
from torchkeras.optimizers.schedules import learning_rate_schedule as lr_schedules
from torchkeras.utils.naming import unique_name
from torchkeras.utils.registry import get_registered_name, get_registered_object, register_builtin

__all__ = ["Indices", "LearningRate", "Optimizer", "TensorList"]

Tensor = torch.Tensor
TensorList = list[Tensor]
Indices = list[int] | None  # positions among the built variables; None means all of them
LearningRate = float | Tensor  # what update rules receive: a host float or a device tensor


class Optimizer(OptimizerState, torch.optim.Optimizer):
    """Base class of Keras optimizers (a `torch.optim.Optimizer` bound to its variables at `build`).

    Subclasses either declare their per-variable slots in `_slot_groups()` and implement the
    vectorized `_parallel_update_step`, or, Keras style, override `build` (calling
    `super().build(variables)`, then `add_variable_from_reference`) and `update_step(gradient,
    variable, learning_rate)`.

    Args:
        learning_rate: a non-negative float, a `keras.optimizers.schedules.LearningRateSchedule`
            (called with `iterations`), or a callable taking no argument.
        weight_decay: if set, every variable is multiplied by `1 - weight_decay * learning_rate`
            before each update (decoupled weight decay).
        clipnorm: if set, each gradient is rescaled so that its L2 norm is at most this value.
        clipvalue: if set, gradients are clipped element-wise to `[-clipvalue, clipvalue]`.
        global_clipnorm: if set, all gradients are rescaled together so that their joint L2 norm
            is at most this value. Only one of the three clipping arguments may be set.
        use_ema: if `True`, keep an exponential moving average of the variables.
        ema_momentum: the average's momentum: `average = m * average + (1 - m) * variable`.
        ema_overwrite_frequency: if set, overwrite the variables with their average every that
            many updates; otherwise call `finalize_variable_values` at the end (`fit` does).
        loss_scale_factor: if set, `scale_loss` multiplies the loss by it and gradients are divided
            by it before use (a fixed loss scale for mixed precision).
        gradient_accumulation_steps: if an integer >= 2, variables are updated every that many
            calls, with the average of the gradients received since the last update.
        name: name of the optimizer, used in variable paths.
    """

    # A subclass's own constructor arguments, kept as attributes of the same names and written
    # after the common ones in `get_config`, in Keras's order.
    _config_keys: tuple[str, ...] = ()

    def __init__(
        self,
        learning_rate: float | lr_schedules.LearningRateSchedule | Callable[[], Any],
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=2)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        owner = type(self).__name__
        self.name = name or unique_name(owner)
        check_common_arguments(
            owner,
            clipnorm,
            clipvalue,
            global_clipnorm,
            use_ema,
            ema_momentum,
            ema_overwrite_frequency,
            gradient_accumulation_steps,
        )
        self.weight_decay = optional_number(weight_decay, "weight_decay", owner)
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = optional_number(loss_scale_factor, "loss_scale_factor", owner, positive=True)
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False

        init_torch_optimizer_fields(
            self
        )  # what `torch.optim.Optimizer.__init__` sets; `build` adds the group
        self._device = torch.device("cpu")
        self._trainable_variables: list[Tensor] = []
        self._variable_ids: list[int] = []
        self._index: dict[int, int] = {}
        self._slots: dict[str, list[Tensor | None]] = {}  # slot name -> one tensor per variable
        self._extra_variables: dict[str, Tensor] = {}  # non-slot variables (e.g. Nadam's u_product)
        self._tracked: list[tuple[str, Tensor]] = []  # every variable made at build, in Keras order
        self._constraints: list[tuple[int, Callable[[Tensor], Tensor]]] = []
        self._decay_mask: list[bool] | None = None
        self._exclude_ids: set[int] = set()
        self._exclude_pattern: re.Pattern | None = None
        self._pending: tuple[str, Any] | None = None  # state loaded before build

        self._iterations = torch.zeros((), dtype=torch.int64)
        self._step_host = 0
        self._iterations_version = self._iterations._version
        self._lr_host: float | None = None
        self._lr_version = 0
        if is_lr_function(learning_rate):
            self._learning_rate: Any = learning_rate
        else:
            self._learning_rate = torch.zeros((), dtype=tk_config.torch_dtype(None))
            self._assign_learning_rate(learning_rate_value(learning_rate, owner))

    # ----------------------------------------------------------------- counters and learning rate
    @property
    def iterations(self) -> Tensor:
        """Number of update calls so far (int64 tensor on the variables' device); with gradient
        accumulation, the number of actual variable updates."""
        if self.gradient_accumulation_steps:
            return torch.div(self._iterations, self.gradient_accumulation_steps, rounding_mode="floor")
        return self._iterations

    def _sync_iterations(self) -> None:
        if self._iterations._version != self._iterations_version:  # edited in place from outside
            self._step_host = int(self._iterations)
            self._iterations_version = self._iterations._version

    def _update_count(self) -> int:
        """`iterations` as a host integer (the update count under gradient accumulation)."""
        steps = self.gradient_accumulation_steps
        return self._step_host // steps if steps else self._step_host

    def _local_step(self) -> int:
        """The 1-based index of the update being computed (Keras's `iterations + 1`)."""
        return self._update_count() + 1

    @property
    def learning_rate(self) -> Any:
        """The current learning rate: a 0-d tensor (`float(...)` reads it). Settable, with a float
        (also mid-training), a schedule or a callable."""
        if isinstance(self._learning_rate, Tensor):
            self._host_learning_rate()
            return self._learning_rate
        if isinstance(self._learning_rate, lr_schedules.LearningRateSchedule):
            return self._learning_rate(self._iterations)
        return self._learning_rate()

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if is_lr_function(value):
            self._learning_rate = value
            self._lr_host = None
            for group in self.param_groups:
                group["lr"] = None
            return
        if isinstance(self._learning_rate, lr_schedules.LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                "constructor argument, hence its learning rate is not settable. If you need the learning "
                "rate to be settable, you should instantiate the optimizer with a float `learning_rate`."
            )
        value = learning_rate_value(value, type(self).__name__)
        if not isinstance(self._learning_rate, Tensor):
            self._learning_rate = torch.zeros((), dtype=tk_config.torch_dtype(None), device=self._device)
        self._assign_learning_rate(value)

    def _assign_learning_rate(self, value: float) -> None:
        self._learning_rate.fill_(value)
        self._lr_version = self._learning_rate._version
        self._lr_host = round_to(value, self._learning_rate.dtype)
        for group in self.param_groups:
            group["lr"] = self._lr_host

    def _host_learning_rate(self) -> float:
        """The float learning rate, after picking up outside changes (param group or tensor)."""
        group_lr = self.param_groups[0]["lr"] if self.param_groups else self._lr_host
        if group_lr != self._lr_host:
            self._assign_learning_rate(float(group_lr))
        elif self._learning_rate._version != self._lr_version:
            self._lr_version = self._learning_rate._version
            self._lr_host = float(self._learning_rate)
            for group in self.param_groups:
                group["lr"] = self._lr_host
        return self._lr_host

    def _current_learning_rate(self) -> LearningRate:
        """The learning rate of this update: a host float, or a device tensor from a schedule."""
        if isinstance(self._learning_rate, Tensor):
            return self._host_learning_rate()
        if isinstance(self._learning_rate, lr_schedules.LearningRateSchedule):
            value = self._learning_rate(self._iterations)
        else:
            value = self._learning_rate()
        if isinstance(value, Tensor):
            return value if value.device == self._device else value.to(self._device)
        return float(value)

    # ------------------------------------------------------------------------------- variables
    @property
    def variables(self) -> list[Tensor]:
        """All optimizer variables in Keras's order: iterations, learning rate (when a float), then
        those made at build (EMA averages, gradient accumulators, the optimizer's slots)."""
        self._restore_pending()
        return self._all_variables()

    def _all_variables(self) -> list[Tensor]:
        head = [self._iterations]
        if isinstance(self._learning_rate, Tensor):
            head.append(self._learning_rate)
        return head + [tensor for _, tensor in self._tracked]

    def _variable_paths(self) -> list[str]:
        head = [f"{self.name}/iteration"]
        if isinstance(self._learning_rate, Tensor):
            head.append(f"{self.name}/learning_rate")
        return head + [path for path, _ in self._tracked]

    def build(self, variables: Iterable[Tensor]) -> None:
        """Binds the optimizer to `variables` (the trainable tensors) and creates its state.

        Calling it again with the same list is a no-op; a different list raises `ValueError`.
        """
        variables = list(variables)
        if self.built:
            if [id(v) for v in variables] != self._variable_ids:
                raise ValueError(
                    f"Optimizer '{self.name}' was already built for {len(self._variable_ids)} variables and "
                    f"cannot be rebuilt for a different list of {len(variables)} variables. Create a new "
                    "optimizer (e.g. compile the model again) to train a different set of variables."
                )
            return
        for variable in variables:
            if not isinstance(variable, Tensor):
                raise TypeError(f"Optimizer variables must be torch tensors. Received: {variable!r}")
            if not (variable.is_floating_point() or variable.is_complex()):
                raise ValueError(
                    f"Optimizer variables must be floating point. Received dtype {variable.dtype}."
                )
            if not (variable.is_leaf or variable.retains_grad):
                raise ValueError("Optimizer variables must be leaf tensors (weights), not computed ones.")
        self._device = variables[0].device if variables else torch.device("cpu")
        self._iterations = self._iterations.to(self._device)
        self._iterations_version = self._iterations._version
        if isinstance(self._learning_rate, Tensor):
            self._learning_rate = self._learning_rate.to(self._device)
            self._lr_version = self._learning_rate._version
        self._trainable_variables = variables
        self._variable_ids = [id(v) for v in variables]
        self._index = {key: i for i, key in enumerate(self._variable_ids)}
        # The group `add_param_group` would make, built here: torch's method is wrapped to import
        # torch._dynamo on first use (~0.7 s), which the first epoch would otherwise pay.
        group = {"params": variables, "lr": self._lr_host}
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self.param_groups = [group]
        self._constraints = [
            (i, v.constraint) for i, v in enumerate(variables) if callable(getattr(v, "constraint", None))
        ]
        self.built = True
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(variables, "gradient_accumulator")
        for names, initializers in self._slot_groups():
            self.add_optimizer_variables(variables, names, initializers)

    def _slot_groups(self) -> list[tuple[tuple[str, ...], Any]]:
        """Per-variable slots as `(names, initializers)` groups, each group interleaved per variable
        (Keras's variable order). Built-in optimizers override this."""
        return []

    def _reference_name(self, variable: Tensor, index: int | None) -> str:
        for attribute in ("path", "name"):
            value = getattr(variable, attribute, None)
            if isinstance(value, str) and value:
                return value.replace("/", "_").replace(":", "_")
        return f"variable_{index}" if index is not None else "variable"

    def add_variable(
        self,
        shape: Sequence[int],
        initializer: Any = "zeros",
        dtype: Any = None,
        aggregation: str = "none",
        layout: Any = None,
        name: str | None = None,
    ) -> Tensor:
        """Creates a (non-slot) optimizer variable on the optimizer's device and tracks it."""
        tensor = initial_value(initializer, shape, tk_config.torch_dtype(dtype), self._device)
        key, suffix = name or "variable", 0
        while key in self._extra_variables:
            suffix += 1
            key = f"{name or 'variable'}_{suffix}"
        self._extra_variables[key] = tensor
        self._tracked.append((f"{self.name}/{key}", tensor))
        return tensor

    def add_variable_from_reference(
        self, reference_variable: Tensor, name: str | None = None, initializer: Any = "zeros"
    ) -> Tensor:
        """Creates a slot shaped like `reference_variable` (same dtype and device), e.g. a momentum."""
        name = name or "var"
        if isinstance(initializer, str) and initializer == "zeros":
            tensor = torch.zeros_like(reference_variable, memory_format=torch.preserve_format)
        else:
            shape, dtype = reference_variable.shape, reference_variable.dtype
            tensor = initial_value(initializer, shape, dtype, reference_variable.device)
        return self._add_state(reference_variable, name, tensor)

    def _add_state(self, reference_variable: Tensor, name: str, tensor: Tensor) -> Tensor:
        """Tracks `tensor` as the `name` slot of `reference_variable` (in `state` and `variables`)."""
        index = self._index.get(id(reference_variable))
        path = f"{self._reference_name(reference_variable, index)}_{name}"
        if index is None:
            self._extra_variables[path] = tensor
        else:
            self.state[reference_variable][name] = tensor
            self._slots.setdefault(name, [None] * len(self._trainable_variables))[index] = tensor
        self._tracked.append((f"{self.name}/{path}", tensor))
        return tensor

    def add_optimizer_variables(
        self, trainable_variables: Sequence[Tensor], name: str | Sequence[str], initializer: Any = "zeros"
    ) -> list[Tensor] | tuple[list[Tensor], ...]:
        """Creates one slot per variable for each name in `name` (interleaved per variable, as Keras
        orders them). Returns a list, or a tuple of lists when `name` is a sequence."""
        names = [name] if isinstance(name, str) else list(name)
        initializers = initializer if isinstance(initializer, (list, tuple)) else [initializer] * len(names)
        created: tuple[list[Tensor], ...] = tuple([] for _ in names)
        for variable in trainable_variables:
            for slots, slot_name, slot_init in zip(created, names, initializers):
                slots.append(self.add_variable_from_reference(variable, slot_name, slot_init))
        return created[0] if isinstance(name, str) else created

    def _get_variable_index(self, variable: Tensor) -> int:
        return self._index[id(variable)]

    def _slot_list(self, name: str, indices: list[int] | None) -> list[Tensor]:
        slots = self._slots[name]
        return slots if indices is None else [slots[i] for i in indices]

    # ---------------------------------------------------------------------------------- updates
    def assign(self, variable: Tensor, value: Any) -> None:
        """`variable[...] = value`, in place."""
        variable.copy_(value)

    def assign_add(self, variable: Tensor, value: Any) -> None:
        """`variable += value`, in place."""
        variable.add_(value)

    def assign_sub(self, variable: Tensor, value: Any) -> None:
        """`variable -= value`, in place."""
        variable.sub_(value)

    def update_step(self, gradient: Tensor, variable: Tensor, learning_rate: LearningRate) -> None:
        """Updates one variable from its gradient (Keras-style subclasses implement this)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `update_step(gradient, variable, learning_rate)`."
        )

    def _parallel_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: LearningRate, indices: Indices
    ) -> None:
        """Updates `variables` (all of them when `indices` is None); built-ins use foreach ops here."""
        for gradient, variable in zip(grads, variables):
            self.update_step(gradient, variable, learning_rate)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears the variables' gradients, as torch's method does (without its lazy import of
        torch._dynamo, ~0.7 s on first use)."""
        for group in self.param_groups:
            for variable in group["params"]:
                if variable.grad is None:
                    continue
                if set_to_none:
                    variable.grad = None
                else:
                    variable.grad.detach_()
                    variable.grad.zero_()

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Keras `apply` with the `.grad` of the built variables (variables without a gradient
        are skipped, as in torch). Returns `closure()`'s loss when a closure is given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if not self.built:
            raise ValueError(
                f"Optimizer '{self.name}' has no variables yet: call `optimizer.build(variables)` "
                "(e.g. `model.trainable_variables`) before `step()`, or use `apply(grads, variables)`."
            )
        variables = self._trainable_variables
        grads = [v.grad for v in variables]
        indices = None
        if any(g is None for g in grads):
            indices = [i for i, g in enumerate(grads) if g is not None]
            if not indices:
                return loss
            grads = [grads[i] for i in indices]
            variables = [variables[i] for i in indices]
        self._apply_filtered(grads, variables, indices)
        return loss

    @torch.no_grad()
    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Tensor] | None = None) -> None:
        """Updates variables from `grads` (one per variable; `None` entries are skipped with a warning).

        Without `trainable_variables`, `grads` must match the variables the optimizer was built with;
        with them, the optimizer is built on first use.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built on a list "
                    "of variables. Call `optimizer.build(trainable_variables)` first."
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    f"Received {len(grads)} gradients, but the optimizer is tracking "
                    f"{len(self._trainable_variables)} trainable variables."
                )
            variables, indices = self._trainable_variables, None
        else:
            variables = list(trainable_variables)
            if len(variables) != len(grads):
                raise ValueError(f"Received {len(grads)} gradients for {len(variables)} variables.")
            if not self.built:
                self.build(variables)
            indices = self._indices_of(variables)
        if any(g is None for g in grads):
            kept = [i for i, g in enumerate(grads) if g is not None]
            if not kept:
                raise ValueError("No gradients provided for any variable.")
            missing = [self._reference_name(variables[i], i) for i, g in enumerate(grads) if g is None]
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss.", stacklevel=2
            )
            full = indices if indices is not None else list(range(len(variables)))
            grads, variables, indices = (
                [grads[i] for i in kept],
                [variables[i] for i in kept],
                [full[i] for i in kept],
            )
        grads = [
            g
            if isinstance(g, Tensor) and g.dtype == v.dtype and g.device == v.device
            else torch.as_tensor(g).to(device=v.device, dtype=v.dtype)
            for g, v in zip(grads, variables)
        ]
        self._apply_filtered(grads, variables, indices)

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Tensor]]) -> Tensor:
        """`apply` for a list of `(gradient, variable)` pairs. Returns `iterations`."""
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self._iterations

    def _indices_of(self, variables: list[Tensor]) -> list[int] | None:
        ids = [id(v) for v in variables]
        if ids == self._variable_ids:
            return None
        for key, variable in zip(ids, variables):
            if key not in self._index:
                raise ValueError(
                    f"Unknown variable: {self._reference_name(variable, None)} "
                    f"with shape {tuple(variable.shape)}. "
                    "This optimizer can only be called for the variables it was originally built with. "
                    "When working with a new set of variables, you should create a new optimizer instance."
                )
        return [self._index[key] for key in ids]

    def _apply_filtered(
        self, grads: list[Tensor], variables: list[Tensor], indices: list[int] | None
    ) -> None:
        """Keras's `apply` once `None` gradients are gone: unscale, accumulate, clip, decay, update,
        moving average, constraints, count."""
        if self._pending is not None:
            self._restore_pending()
        self._sync_iterations()
        if any(getattr(v, "overwrite_with_gradient", False) for v in variables):
            grads, variables, indices = self._overwrite_with_gradients(grads, variables, indices)
            if not variables:
                self._iterations.add_(1)
                self._step_host += 1
                self._iterations_version = self._iterations._version
                return
        if self.loss_scale_factor is not None:
            grads = list(torch._foreach_div(grads, self.loss_scale_factor))
        learning_rate = self._current_learning_rate()
        steps = self.gradient_accumulation_steps
        if steps:
            accumulators = self._slot_list("gradient_accumulator", indices)
            if (self._step_host + 1) % steps == 0:
                grads = list(torch._foreach_add(grads, accumulators))
                torch._foreach_div_(grads, float(steps))
                self._update(grads, variables, indices, learning_rate)
                torch._foreach_zero_(self._slots["gradient_accumulator"])
            else:
                torch._foreach_add_(accumulators, grads)
        else:
            self._update(grads, variables, indices, learning_rate)
        if self.use_ema:
            self._update_moving_average()
        for index, constraint in self._constraints:
            if indices is None or index in indices:
                variable = self._trainable_variables[index]
                # A Variable stored in another layout applies its constraint in Keras's layout.
                constrained = (
                    variable.constrained() if hasattr(variable, "constrained") else constraint(variable)
                )
                variable.copy_(constrained)
        self._iterations.add_(1)
        self._step_host += 1
        self._iterations_version = self._iterations._version

    def _overwrite_with_gradients(
        self, grads: list[Tensor], variables: list[Tensor], indices: list[int] | None
    ) -> tuple[list[Tensor], list[Tensor], list[int]]:
        """Sets each `overwrite_with_gradient` variable (float8 scales, amax histories) to its
        gradient, the running maximum over the accumulation window under gradient accumulation,
        and returns the other pairs, as Keras does."""
        full = list(range(len(variables))) if indices is None else list(indices)
        steps = self.gradient_accumulation_steps
        update_now = not steps or (self._step_host + 1) % steps == 0
        kept: list[int] = []
        for position, (grad, variable) in enumerate(zip(grads, variables)):
            if not getattr(variable, "overwrite_with_gradient", False):
                kept.append(position)
                continue
            if steps:
                accumulator = self._slot_list("gradient_accumulator", [full[position]])[0]
                grad = torch.maximum(grad, accumulator)
                if update_now:
                    accumulator.zero_()
                else:
                    accumulator.copy_(grad)
                    continue
            variable.copy_(grad)
        return [grads[i] for i in kept], [variables[i] for i in kept], [full[i] for i in kept]

    def _update(
        self,
        grads: list[Tensor],
        variables: list[Tensor],
        indices: list[int] | None,
        learning_rate: LearningRate,
    ) -> None:
        grads = foreach_utils.clip_gradients(grads, self.clipnorm, self.global_clipnorm, self.clipvalue)
        self._apply_weight_decay(variables, indices, learning_rate)
        self._parallel_update_step(grads, variables, learning_rate, indices)

    # ------------------------------------------------------- weight decay and moving average

    def exclude_from_weight_decay(
        self, var_list: Iterable[Tensor] | None = None, var_names: Iterable[str] | None = None
    ) -> None:
        """Excludes variables from weight decay: those in `var_list`, and those whose `path` or `name`
        attribute contains one of `var_names`."""
        self._exclude_ids = {id(v) for v in var_list or ()}
        names = sorted(set(var_names or ()))
        self._exclude_pattern = re.compile("|".join(names)) if names else None
        self._decay_mask = None

    def _use_weight_decay(self, variable: Tensor) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        if self._exclude_pattern is not None:
            for attribute in ("path", "name"):
                value = getattr(variable, attribute, None)
                if isinstance(value, str) and self._exclude_pattern.search(value):
                    return False
        return True

    def _apply_weight_decay(
        self, variables: list[Tensor], indices: list[int] | None, learning_rate: LearningRate
    ) -> None:
        if self.weight_decay is None:
            return
        if self._decay_mask is None:
            self._decay_mask = [self._use_weight_decay(v) for v in self._trainable_variables]
        positions = range(len(variables)) if indices is None else indices
        targets = [v for v, i in zip(variables, positions) if self._decay_mask[i]]
        if targets:
            torch._foreach_mul_(targets, 1 - self.weight_decay * learning_rate)

    def _update_moving_average(self) -> None:
        averages, variables = self._slots["average"], self._trainable_variables
        count = self._update_count()
        if count == 0:
            torch._foreach_copy_(averages, variables)
        else:
            torch._foreach_mul_(averages, self.ema_momentum)
            torch._foreach_add_(averages, variables, alpha=1 - self.ema_momentum)
        frequency = self.ema_overwrite_frequency
        if frequency and (count + 1) % frequency == 0:
            torch._foreach_copy_(variables, averages)

    @torch.no_grad()
    def finalize_variable_values(self, var_list: Sequence[Tensor]) -> None:
        """With `use_ema`, overwrites `var_list` (the built variables) with their moving averages."""
        if not self.use_ema:
            return
        averages = self._slots.get("average", [])
        if len(var_list) != len(averages):
            raise ValueError(
                f"The length of model variables ({len(var_list)}) to override does not match the number of "
                f"moving averages stored in the optimizer ({len(averages)})."
            )
        torch._foreach_copy_(list(var_list), averages)

    def scale_loss(self, loss: Tensor) -> Tensor:
        """Multiplies `loss` by `loss_scale_factor` when set (gradients are divided back in `apply`)."""
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    # ----------------------------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The optimizer's constructor arguments (no state), with Keras's keys."""
        if isinstance(self._learning_rate, lr_schedules.LearningRateSchedule):
            learning_rate: Any = lr_schedules.serialize(self._learning_rate)
        elif isinstance(self._learning_rate, Tensor):
            learning_rate = self._host_learning_rate()
        else:
            name = get_registered_name(self._learning_rate)
            module = getattr(self._learning_rate, "__module__", None)
            learning_rate = {
                "module": module,
                "class_name": "function",
                "config": name,
                "registered_name": name,
            }
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
            **{key: getattr(self, key) for key in self._config_keys},
        }

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> Optimizer:
        """Creates an optimizer from `get_config()` output (schedules and functions via the registry)."""
        config = dict(config)
        learning_rate = config.get("learning_rate")
        if isinstance(learning_rate, Mapping):
            if learning_rate.get("class_name") == "function":
                name = learning_rate.get("registered_name") or learning_rate.get("config")
                function = get_registered_object(name, custom_objects)
                if function is None:
                    raise ValueError(
                        f"Unknown learning rate function: {name!r}. Register it with "
                        "`keras.saving.register_keras_serializable()` or pass it in `custom_objects`."
                    )
                config["learning_rate"] = function
            else:
                config["learning_rate"] = lr_schedules.deserialize(learning_rate, custom_objects)
        return cls(**config)


register_builtin(Optimizer)
