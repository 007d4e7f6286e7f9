"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

import numbers
from typing import Any

import torch

from torchkeras.optimizers import foreach_utils
from torchkeras.optimizers.optimizer import Indices, LearningRate, Optimizer, TensorList
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["SGD"]


@register_builtin
class SGD(Optimizer):
    """Gradient descent with momentum.

    Without momentum: `w = w - learning_rate * g`. With momentum:
    `velocity = momentum * velocity - learning_rate * g`, then `w = w + velocity`, or with
    `nesterov=True`: `w = w + momentum * velocity - learning_rate * g`.

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.01`.
        momentum: float in [0, 1] accelerating descent and damping oscillations. Defaults to `0.0`.
        nesterov: whether to use Nesterov momentum.
        **kwargs: the common optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...),
            see `keras.optimizers.Optimizer`.

    Example:
    ```python
    optimizer = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    ```
    """

    _config_keys = ("momentum", "nesterov")

    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
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
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise invalid("momentum", "must be a float between [0, 1]", momentum, type(self).__name__)
        self.momentum = momentum
        self.nesterov = nesterov

    def _slot_groups(self) -> list[tuple[tuple[str, ...], Any]]:
        return [(("momentum",), "zeros")] if self.momentum != 0 else []

    def _parallel_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: LearningRate, indices: Indices
    ) -> None:
        if self.momentum == 0:
            foreach_utils.add_scaled_(variables, grads, -learning_rate)
            return
        velocities = self._slot_list("momentum", indices)
        torch._foreach_mul_(velocities, self.momentum)
        foreach_utils.add_scaled_(velocities, grads, -learning_rate)
        if self.nesterov:
            foreach_utils.add_scaled_(variables, grads, -learning_rate)
            torch._foreach_add_(variables, velocities, alpha=self.momentum)
        else:
            torch._foreach_add_(variables, velocities)
