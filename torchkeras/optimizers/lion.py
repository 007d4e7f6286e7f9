"""Lion: sign-based updates with momentum (EvoLved Sign Momentum)."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.optimizers import foreach_utils
from torchkeras.optimizers.optimizer import Indices, LearningRate, Optimizer, TensorList
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["Lion"]


@register_builtin
class Lion(Optimizer):
    """Lion: `w = w - learning_rate * sign(beta_1 * m + (1 - beta_1) * g)`, then
    `m = beta_2 * m + (1 - beta_2) * g`.

    Its updates have a larger norm than Adam's, so it usually wants a 3-10x smaller learning rate
    (and a correspondingly larger weight decay).

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.001`.
        beta_1: interpolation factor of the update direction, in (0, 1].
        beta_2: decay rate of the momentum.
        **kwargs: the common optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...),
            see `keras.optimizers.Optimizer`.

    Example:
    ```python
    optimizer = keras.optimizers.Lion(learning_rate=1e-4, weight_decay=1e-2)
    ```
    """

    _config_keys = ("beta_1", "beta_2")

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
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
        if beta_1 <= 0 or beta_1 > 1:
            raise invalid(
                "beta_1",
                "must be in the (0, 1] range; otherwise the optimizer degenerates to SignSGD",
                beta_1,
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _slot_groups(self) -> list[tuple[tuple[str, ...], Any]]:
        return [(("momentum",), "zeros")]

    def _parallel_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: LearningRate, indices: Indices
    ) -> None:
        momentums = self._slot_list("momentum", indices)
        directions = torch._foreach_mul(momentums, self.beta_1)
        torch._foreach_add_(directions, grads, alpha=1 - self.beta_1)
        torch._foreach_sign_(directions)
        foreach_utils.add_scaled_(variables, directions, -learning_rate)
        torch._foreach_lerp_(momentums, grads, 1 - self.beta_2)
