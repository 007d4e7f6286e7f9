"""ScheduleFreeAdamW: AdamW without a learning-rate schedule, by interpolation and averaging."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.optimizers.optimizer import Indices, LearningRate, Optimizer, TensorList
from torchkeras.utils.registry import register_builtin

__all__ = ["ScheduleFreeAdamW"]


@register_builtin
class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW (Defazio et al., 2024), as Keras computes it.

    The optimizer keeps `z` (the `momentum` slot, starting at the weights), takes Adam-scaled
    gradient steps on it, keeps the average `x` of the `z` iterates with weight `1 / t`, and
    sets the weights to the interpolation `y = (1 - beta_1) * z + beta_1 * x`. No decaying
    schedule is needed; an optional linear warm-up scales the learning rate for `warmup_steps`.

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.0025`.
        beta_1: interpolation between the iterate `z` and the average `x`.
        beta_2: decay rate of the second moment.
        epsilon: added to the denominator for numerical stability.
        warmup_steps: steps of linear learning-rate warm-up (0: none).
        **kwargs: the common optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...),
            see `keras.optimizers.Optimizer`.

    Example:
    ```python
    optimizer = keras.optimizers.ScheduleFreeAdamW(learning_rate=0.0025, warmup_steps=100)
    ```
    """

    _config_keys = ("beta_1", "beta_2", "epsilon", "warmup_steps")

    def __init__(
        self,
        learning_rate: Any = 0.0025,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
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
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        if not isinstance(warmup_steps, int) or warmup_steps < 0:
            raise ValueError(
                "Argument `warmup_steps` must be a non-negative integer. "
                f"Received: warmup_steps={warmup_steps!r}"
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def build(self, variables: Any) -> None:
        if self.built:
            super().build(variables)
            return
        super().build(variables)
        with torch.no_grad():
            for variable, z in zip(self._trainable_variables, self._slots["momentum"]):
                z.copy_(variable)  # z starts at the weights

    def _slot_groups(self) -> list[tuple[tuple[str, ...], Any]]:
        return [(("momentum", "velocity"), "zeros")]

    def _parallel_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: LearningRate, indices: Indices
    ) -> None:
        step = self._local_step()
        if self.warmup_steps > 0:
            learning_rate = learning_rate * min(step / self.warmup_steps, 1.0)
        momentums = self._slot_list("momentum", indices)
        velocities = self._slot_list("velocity", indices)
        torch._foreach_lerp_(velocities, torch._foreach_mul(grads, grads), 1 - self.beta_2)
        denominators = torch._foreach_div(velocities, 1 - self.beta_2**step)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        steps = torch._foreach_div(grads, denominators)
        torch._foreach_mul_(steps, learning_rate)
        torch._foreach_sub_(momentums, steps)  # z
        weight = 1.0 / step
        for variable, z in zip(variables, momentums):
            # Keras's torch backend reads z after its update here (its `momentum.value` aliases
            # the variable), so the average x is recovered from the new z, as there.
            average = (variable - (1 - self.beta_1) * z) / self.beta_1
            average = (1 - weight) * average + weight * z
            variable.copy_((1 - self.beta_1) * z + self.beta_1 * average)
