"""`LossScaleOptimizer`: dynamic loss scaling around another optimizer (for float16 training)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import Tensor

from torchkeras.optimizers.optimizer import Optimizer
from torchkeras.utils.registry import register_builtin

__all__ = ["LossScaleOptimizer"]

_INNER_ONLY = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


@register_builtin
class LossScaleOptimizer(Optimizer):
    """Scales the loss by a dynamic factor so small float16 gradients do not underflow.

    `scale_loss(loss)` multiplies the loss by the current scale (`fit` does it for you); `apply`
    / `step` divide the gradients back. When every gradient is finite the inner optimizer
    updates and, after `dynamic_growth_steps` such steps in a row, the scale doubles; otherwise
    the update is skipped and the scale halves. Checking finiteness reads one flag on the host
    per step, as torch's `GradScaler` does.

    Args:
        inner_optimizer: the optimizer that updates the weights.
        initial_scale: the starting scale.
        dynamic_growth_steps: finite steps between two doublings of the scale.
        name: the optimizer's name.

    Example:
    ```python
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-3))
    model.compile(optimizer=optimizer, loss="mse")
    ```
    """

    def __init__(
        self,
        inner_optimizer: Optimizer,
        initial_scale: float = 2.0**15,
        dynamic_growth_steps: int = 2000,
        name: str | None = None,
        **kwargs: Any,
    ):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for key, default in _INNER_ONLY.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{key}`. "
                    f"Instead, set `{key}` on the `inner_optimizer`."
                )
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(
                "Argument `inner_optimizer` must be a keras optimizer (`torchkeras.optimizers.Optimizer`). "
                f"Received: {inner_optimizer!r}"
            )
        if not isinstance(dynamic_growth_steps, int) or dynamic_growth_steps < 1:
            raise ValueError(
                "Argument `dynamic_growth_steps` must be a positive integer. "
                f"Received: {dynamic_growth_steps!r}"
            )
        if not initial_scale > 0:
            raise ValueError(f"Argument `initial_scale` must be positive. Received: {initial_scale!r}")
        self.inner_optimizer = inner_optimizer
        super().__init__(learning_rate=0.0, name=name)
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None
        self.step_counter: Tensor | None = None
        self.dynamic_scale: Tensor | None = None

    # The loss scale the trainer reads (`fit` multiplies the loss by it before `backward`).
    @property
    def loss_scale_factor(self) -> Any:
        scale = self.__dict__.get("dynamic_scale")
        return scale if scale is not None else self.__dict__.get("initial_scale", 1.0)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: Any) -> None:
        if value is not None:
            raise ValueError(
                "LossScaleOptimizer manages its own loss scale; `loss_scale_factor` must be None."
            )

    def build(self, variables: Iterable[Tensor]) -> None:
        variables = list(variables)
        if self.built:
            super().build(variables)
            return
        super().build(variables)
        self.step_counter = self.add_variable((), "zeros", dtype="int32", name="step_counter")
        self.dynamic_scale = self.add_variable((), self.initial_scale, dtype="float32", name="dynamic_scale")
        self.inner_optimizer.build(variables)
        self.param_groups = self.inner_optimizer.param_groups  # learning-rate changes reach the inner one

    @property
    def variables(self) -> list[Tensor]:
        return super().variables + self.inner_optimizer.variables

    @property
    def iterations(self) -> Tensor:
        return self.inner_optimizer.iterations

    @property
    def learning_rate(self) -> Any:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.inner_optimizer.learning_rate = value

    def scale_loss(self, loss: Tensor) -> Tensor:
        """The loss times the current scale."""
        return loss * (self.dynamic_scale if self.built else self.initial_scale)

    def check_finite(self, grads: list[Tensor]) -> Tensor:
        """A boolean tensor: whether every gradient is finite."""
        flags = [torch.isfinite(g).all() for g in grads if g is not None]
        return torch.stack(flags).all() if flags else torch.tensor(True)

    def _apply_filtered(
        self, grads: list[Tensor], variables: list[Tensor], indices: list[int] | None
    ) -> None:
        if bool(self.check_finite(grads)):  # the one host read of the step
            scale = self.dynamic_scale
            unscaled = list(torch._foreach_div(grads, scale.to(grads[0].device)))
            self.inner_optimizer._apply_filtered(unscaled, variables, indices)
            if int(self.step_counter) == self.dynamic_growth_steps - 1:
                self.step_counter.zero_()
                self.dynamic_scale.mul_(2.0)
            else:
                self.step_counter.add_(1)
        else:
            self.step_counter.zero_()
            self.dynamic_scale.mul_(0.5)
        self._iterations.add_(1)  # counts the calls; `iterations` reports the inner optimizer's updates
        self._step_host += 1
        self._iterations_version = self._iterations._version

    def finalize_variable_values(self, var_list: Any) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self) -> dict[str, Any]:
        from torchkeras.optimizers import serialize

        return {
            "name": self.name,
            "inner_optimizer": serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Any:
        from torchkeras.optimizers import deserialize

        config = dict(config)
        inner = config.pop("inner_optimizer")
        if isinstance(inner, Mapping):
            inner = deserialize(inner, custom_objects)
        return cls(inner, **config)
