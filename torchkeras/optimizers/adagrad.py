"""Adagrad: per-coordinate learning rates scaled by the accumulated squared gradients."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.optimizers.optimizer import Indices, LearningRate, Optimizer, TensorList
from torchkeras.utils.registry import register_builtin

__all__ = ["Adagrad"]


@register_builtin
class Adagrad(Optimizer):
    """Adagrad: `a = a + g**2`, `w = w - learning_rate * g / sqrt(a + epsilon)`.

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.001`.
        initial_accumulator_value: starting value of the accumulators (non-negative).
        epsilon: small constant for numerical stability.
        **kwargs: the common optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...),
            see `keras.optimizers.Optimizer`.

    Example:
    ```python
    optimizer = keras.optimizers.Adagrad(learning_rate=0.01)
    ```
    """

    _config_keys = ("initial_accumulator_value", "epsilon")

    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
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
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _slot_groups(self) -> list[tuple[tuple[str, ...], Any]]:
        return [(("accumulator",), self.initial_accumulator_value)]

    def _parallel_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: LearningRate, indices: Indices
    ) -> None:
        accumulators = self._slot_list("accumulator", indices)
        torch._foreach_addcmul_(accumulators, grads, grads)
        denominators = torch._foreach_add(accumulators, self.epsilon)
        torch._foreach_sqrt_(denominators)
        increments = torch._foreach_mul(grads, learning_rate)
        torch._foreach_div_(increments, denominators)
        torch._foreach_sub_(variables, increments)
