"""Adadelta: adapts learning rates from a moving window of gradient updates."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.optimizers import foreach_utils
from torchkeras.optimizers.optimizer import Indices, LearningRate, Optimizer, TensorList
from torchkeras.utils.registry import register_builtin

__all__ = ["Adadelta"]


@register_builtin
class Adadelta(Optimizer):
    """Adadelta, with Keras's update rule.

    `G = rho * G + (1 - rho) * g**2`; `delta = -sqrt(D + epsilon) * g / sqrt(G + epsilon)`;
    `D = rho * D + (1 - rho) * delta**2`; `w = w + learning_rate * delta`.

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.001`
            (the original paper uses `1.0`).
        rho: decay rate of the running averages.
        epsilon: small constant for numerical stability.
        **kwargs: the common optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...),
            see `keras.optimizers.Optimizer`.

    Example:
    ```python
    optimizer = keras.optimizers.Adadelta(learning_rate=1.0)
    ```
    """

    _config_keys = ("rho", "epsilon")

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.95,
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
        self.rho = rho
        self.epsilon = epsilon

    def _slot_groups(self) -> list[tuple[tuple[str, ...], Any]]:
        return [(("accumulated_grad", "accumulated_delta_var"), "zeros")]

    def _parallel_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: LearningRate, indices: Indices
    ) -> None:
        rho = self.rho
        grad_averages = self._slot_list("accumulated_grad", indices)
        delta_averages = self._slot_list("accumulated_delta_var", indices)
        torch._foreach_mul_(grad_averages, rho)
        torch._foreach_addcmul_(grad_averages, grads, grads, value=1 - rho)
        delta_rms = torch._foreach_add(delta_averages, self.epsilon)
        torch._foreach_sqrt_(delta_rms)
        grad_rms = torch._foreach_add(grad_averages, self.epsilon)
        torch._foreach_sqrt_(grad_rms)
        deltas = torch._foreach_mul(delta_rms, grads)
        torch._foreach_div_(deltas, grad_rms)
        torch._foreach_neg_(deltas)
        torch._foreach_mul_(delta_averages, rho)
        torch._foreach_addcmul_(delta_averages, deltas, deltas, value=1 - rho)
        foreach_utils.add_scaled_(variables, deltas, learning_rate)
