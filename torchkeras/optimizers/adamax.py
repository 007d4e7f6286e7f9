"""Adamax: Adam with the infinity norm."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.optimizers import foreach_utils
from torchkeras.optimizers.adam_variant import AdamVariant
from torchkeras.optimizers.optimizer import Indices, LearningRate, TensorList
from torchkeras.utils.registry import register_builtin

__all__ = ["Adamax"]


@register_builtin
class Adamax(AdamVariant):
    """Adamax, a variant of Adam based on the infinity norm.

    With `t` the 1-based update index: `m = beta_1 * m + (1 - beta_1) * g`,
    `u = max(beta_2 * u, |g|)`, `w = w - learning_rate * m / ((1 - beta_1**t) * (u + epsilon))`.

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.001`.
        beta_1: decay rate of the first moment estimates.
        beta_2: decay rate of the exponentially weighted infinity norm.
        epsilon: small constant for numerical stability.
        **kwargs: the common optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...),
            see `keras.optimizers.Optimizer`.

    Example:
    ```python
    optimizer = keras.optimizers.Adamax(learning_rate=2e-3)
    ```
    """

    def _slot_groups(self) -> list[tuple[tuple[str, ...], Any]]:
        return [(("momentum", "norm"), "zeros")]

    def _parallel_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: LearningRate, indices: Indices
    ) -> None:
        correction = 1 - self.beta_1 ** self._local_step()
        momentums = self._slot_list("momentum", indices)
        norms = self._slot_list("norm", indices)
        torch._foreach_lerp_(momentums, grads, 1 - self.beta_1)
        torch._foreach_mul_(norms, self.beta_2)
        torch._foreach_maximum_(norms, torch._foreach_abs(grads))
        denominators = torch._foreach_add(norms, self.epsilon)
        torch._foreach_mul_(denominators, correction)
        foreach_utils.addcdiv_scaled_(variables, momentums, denominators, -learning_rate)
