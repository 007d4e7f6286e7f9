"""Nadam: Adam with Nesterov momentum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from torchkeras import config as tk_config
from torchkeras.optimizers import foreach_utils
from torchkeras.optimizers.adam_variant import AdamVariant
from torchkeras.optimizers.optimizer import Indices, LearningRate, TensorList
from torchkeras.utils.registry import register_builtin

__all__ = ["Nadam"]


@register_builtin
class Nadam(AdamVariant):
    """Nadam, with Keras's update rule (momentum schedule `mu_t = beta_1 * (1 - 0.5 * 0.96**t)`).

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.001`.
        beta_1: decay rate of the first moment estimates.
        beta_2: decay rate of the second moment estimates.
        epsilon: small constant for numerical stability.
        **kwargs: the common optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...),
            see `keras.optimizers.Optimizer`.

    Example:
    ```python
    optimizer = keras.optimizers.Nadam(learning_rate=2e-3)
    ```
    """

    _u_product_host = 1.0  # the host copy of `u_product`, tracked from `build` on

    def _slot_groups(self) -> list[tuple[tuple[str, ...], Any]]:
        return [(("momentum", "velocity"), "zeros")]

    def build(self, variables: Iterable[torch.Tensor]) -> None:
        variables = list(variables)
        if self.built:
            super().build(variables)
            return
        super().build(variables)
        dtype = variables[0].dtype if variables else tk_config.torch_dtype(None)
        # The running product of the momentum schedule (Keras tracks it as a variable, last).
        self._u_product = self.add_variable((), initializer="ones", dtype=dtype, name="u_product")
        self._u_product_host = 1.0

    def _refresh_host_state(self) -> None:
        super()._refresh_host_state()
        if self.built:
            self._u_product_host = float(self._u_product)

    def _parallel_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: LearningRate, indices: Indices
    ) -> None:
        t = self._local_step()
        u_t = self.beta_1 * (1.0 - 0.5 * 0.96**t)
        u_next = self.beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_product = self._u_product_host * u_t
        u_product_next = u_product * u_next
        self._u_product_host = u_product
        self._u_product.fill_(u_product)

        momentums = self._slot_list("momentum", indices)
        velocities = self._slot_list("velocity", indices)
        torch._foreach_lerp_(momentums, grads, 1 - self.beta_1)
        torch._foreach_mul_(velocities, self.beta_2)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - self.beta_2)

        momentum_hats = torch._foreach_mul(momentums, u_next / (1 - u_product_next))
        torch._foreach_add_(momentum_hats, grads, alpha=(1 - u_t) / (1 - u_product))
        denominators = torch._foreach_div(velocities, 1 - self.beta_2**t)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        foreach_utils.addcdiv_scaled_(variables, momentum_hats, denominators, -learning_rate)
