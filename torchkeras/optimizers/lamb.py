"""Lamb: Adam's direction, scaled per variable by the trust ratio `||w|| / ||update||`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.optimizers.optimizer import Indices, LearningRate, Optimizer, TensorList
from torchkeras.utils.registry import register_builtin

__all__ = ["Lamb"]


@register_builtin
class Lamb(Optimizer):
    """Lamb (layer-wise adaptive moments): for each variable,
    `u = m_hat / (sqrt(v_hat) + epsilon)` (Adam's bias-corrected moments) and
    `w = w - learning_rate * (||w|| / ||u||) * u`, the ratio being 1 when either norm is 0.

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.001`.
        beta_1: decay rate of the first moment.
        beta_2: decay rate of the second moment.
        epsilon: added to the denominator for numerical stability.
        **kwargs: the common optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...),
            see `keras.optimizers.Optimizer`.

    Example:
    ```python
    optimizer = keras.optimizers.Lamb(learning_rate=1e-3)
    ```
    """

    _config_keys = ("beta_1", "beta_2", "epsilon")

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _slot_groups(self) -> list[tuple[tuple[str, ...], Any]]:
        return [(("momentum", "velocity"), "zeros")]

    def _parallel_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: LearningRate, indices: Indices
    ) -> None:
        step = self._local_step()
        first_correction = 1 - self.beta_1**step
        second_correction = 1 - self.beta_2**step
        momentums = self._slot_list("momentum", indices)
        velocities = self._slot_list("velocity", indices)
        torch._foreach_lerp_(momentums, grads, 1 - self.beta_1)
        torch._foreach_lerp_(velocities, torch._foreach_mul(grads, grads), 1 - self.beta_2)
        for variable, m, v in zip(variables, momentums, velocities):
            update = (m / first_correction) / ((v / second_correction).sqrt() + self.epsilon)
            weight_norm = torch.linalg.vector_norm(variable)
            update_norm = torch.linalg.vector_norm(update)
            both_positive = (weight_norm > 0) & (update_norm > 0)
            ratio = torch.where(both_positive, weight_norm / update_norm.clamp_min(1e-30), 1.0)
            variable.sub_(ratio * learning_rate * update)
