"""RMSprop: divide the gradient by a running root mean square of its recent magnitudes."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.optimizers.optimizer import Indices, LearningRate, Optimizer, TensorList
from torchkeras.utils.registry import register_builtin

__all__ = ["RMSprop"]


@register_builtin
class RMSprop(Optimizer):
    """RMSprop, with Keras's update rule.

    `v = rho * v + (1 - rho) * g**2`; the increment is `learning_rate * g / sqrt(v + epsilon)`
    (epsilon inside the square root). With `centered=True`, `a = rho * a + (1 - rho) * g` and the
    denominator is `sqrt(v - a**2 + epsilon)`. With `momentum > 0`, `m = momentum * m + increment`
    and `w = w - m`; otherwise `w = w - increment`.

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.001`.
        rho: discounting factor of the squared-gradient average.
        momentum: momentum factor; `0.0` disables momentum.
        epsilon: small constant for numerical stability.
        centered: whether to normalize by the estimated variance of the gradient.
        **kwargs: the common optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...),
            see `keras.optimizers.Optimizer`.

    Example:
    ```python
    optimizer = keras.optimizers.RMSprop(learning_rate=1e-3, momentum=0.9)
    ```
    """

    _config_keys = ("rho", "momentum", "epsilon", "centered")

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
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
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _slot_groups(self) -> list[tuple[tuple[str, ...], Any]]:
        groups: list[tuple[tuple[str, ...], Any]] = [(("velocity",), "zeros")]
        if self.momentum > 0:
            groups.append((("momentum",), "zeros"))
        if self.centered:
            groups.append((("average_gradient",), "zeros"))
        return groups

    def _parallel_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: LearningRate, indices: Indices
    ) -> None:
        rho = self.rho
        velocities = self._slot_list("velocity", indices)
        torch._foreach_mul_(velocities, rho)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - rho)
        if self.centered:
            averages = self._slot_list("average_gradient", indices)
            torch._foreach_mul_(averages, rho)
            torch._foreach_add_(averages, grads, alpha=1 - rho)
            denominators = torch._foreach_addcmul(velocities, averages, averages, value=-1)
            torch._foreach_add_(denominators, self.epsilon)
        else:
            denominators = torch._foreach_add(velocities, self.epsilon)
        torch._foreach_sqrt_(denominators)
        increments = torch._foreach_mul(grads, learning_rate)
        torch._foreach_div_(increments, denominators)
        if self.momentum > 0:
            momentums = self._slot_list("momentum", indices)
            torch._foreach_mul_(momentums, self.momentum)
            torch._foreach_add_(momentums, increments)
            torch._foreach_sub_(variables, momentums)
        else:
            torch._foreach_sub_(variables, increments)
