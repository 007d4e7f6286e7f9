"""Adam: adaptive moment estimation."""

from __future__ import annotations

import math
from typing import Any

import torch

from torchkeras.optimizers import foreach_utils
from torchkeras.optimizers.optimizer import Indices, LearningRate, Optimizer, TensorList
from torchkeras.utils.registry import register_builtin

__all__ = ["Adam"]


@register_builtin
class Adam(Optimizer):
    """Adam, with Keras's update rule.

    With `t` the 1-based update index: `m = beta_1 * m + (1 - beta_1) * g`,
    `v = beta_2 * v + (1 - beta_2) * g**2`,
    `w = w - learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)`
    (Keras adds `epsilon` to `sqrt(v)` before the bias correction of `v`, unlike `torch.optim.Adam`).

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.001`.
        beta_1: decay rate of the first moment estimates.
        beta_2: decay rate of the second moment estimates.
        epsilon: small constant for numerical stability.
        amsgrad: whether to use the AMSGrad variant (the maximum of past `v` is used).
        **kwargs: the common optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...),
            see `keras.optimizers.Optimizer`.

    Example:
    ```python
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
    ```
    """

    _config_keys = ("beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def _slot_groups(self) -> list[tuple[tuple[str, ...], Any]]:
        groups: list[tuple[tuple[str, ...], Any]] = [(("momentum", "velocity"), "zeros")]
        if self.amsgrad:
            groups.append((("velocity_hat",), "zeros"))
        return groups

    def _parallel_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: LearningRate, indices: Indices
    ) -> None:
        t = self._local_step()
        alpha = learning_rate * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        momentums = self._slot_list("momentum", indices)
        velocities = self._slot_list("velocity", indices)
        torch._foreach_lerp_(momentums, grads, 1 - self.beta_1)
        torch._foreach_mul_(velocities, self.beta_2)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - self.beta_2)
        if self.amsgrad:
            velocity_hats = self._slot_list("velocity_hat", indices)
            torch._foreach_maximum_(velocity_hats, velocities)
            velocities = velocity_hats
        denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, self.epsilon)
        foreach_utils.addcdiv_scaled_(variables, momentums, denominators, -alpha)
