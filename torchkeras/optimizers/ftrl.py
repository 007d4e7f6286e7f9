"""FTRL-Proximal: follow the regularized leader, with L1/L2 regularization (for wide, sparse models)."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.optimizers.optimizer import LearningRate, Optimizer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["Ftrl"]


@register_builtin
class Ftrl(Optimizer):
    """FTRL-Proximal, as in Keras (McMahan et al., 2013).

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.001`.
        learning_rate_power: controls how the learning rate decreases during training (<= 0;
            `0` keeps it fixed).
        initial_accumulator_value: starting value of the accumulators (>= 0).
        l1_regularization_strength: L1 strength (>= 0).
        l2_regularization_strength: L2 strength (>= 0), stabilization penalty.
        l2_shrinkage_regularization_strength: L2 shrinkage strength (>= 0), a magnitude penalty.
        beta: the beta value of the paper.
        **kwargs: the common optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...),
            see `keras.optimizers.Optimizer`.
    """

    _config_keys = (
        "learning_rate_power",
        "initial_accumulator_value",
        "l1_regularization_strength",
        "l2_regularization_strength",
        "l2_shrinkage_regularization_strength",
        "beta",
    )

    def __init__(
        self,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
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
        owner = type(self).__name__
        if learning_rate_power > 0.0:
            raise invalid("learning_rate_power", "must be negative or zero", learning_rate_power, owner)
        for argument, value in (
            ("initial_accumulator_value", initial_accumulator_value),
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ):
            if value < 0.0:
                raise invalid(argument, "must be positive or zero", value, owner)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _slot_groups(self) -> list[tuple[tuple[str, ...], Any]]:
        return [(("accumulator", "linear"), (self.initial_accumulator_value, "zeros"))]

    def update_step(
        self, gradient: torch.Tensor, variable: torch.Tensor, learning_rate: LearningRate
    ) -> None:
        state = self.state[variable]
        accumulator, linear = state["accumulator"], state["linear"]
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * learning_rate)
        shrunk_gradient = gradient + 2 * self.l2_shrinkage_regularization_strength * variable
        new_accumulator = accumulator + gradient * gradient
        new_power, old_power = new_accumulator.pow(power), accumulator.pow(power)
        linear.add_(shrunk_gradient - (new_power - old_power) / learning_rate * variable)
        quadratic = new_power / learning_rate + 2 * l2
        variable.copy_((linear.clamp(-l1, l1) - linear) / quadratic)
        accumulator.copy_(new_accumulator)
