"""Adafactor: Adam-like updates with factored second moments (memory-light for large matrices)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch

from torchkeras.optimizers.optimizer import LearningRate, Optimizer
from torchkeras.utils.registry import register_builtin

__all__ = ["Adafactor"]


def _rms(x: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(torch.mean(torch.square(x)))


@register_builtin
class Adafactor(Optimizer):
    """Adafactor, as in Keras: for variables of rank >= 2 the second moment is stored as a row and
    a column average over the last two axes; updates are clipped by their RMS.

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.001`.
        beta_2_decay: decay exponent of the second-moment rate, `1 - t**beta_2_decay`.
        epsilon_1: added to the squared gradients.
        epsilon_2: floor of the variable RMS used to scale the step.
        clip_threshold: threshold of the update RMS clipping.
        relative_step: whether the learning rate is capped by `1 / sqrt(t)`.
        **kwargs: the common optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...),
            see `keras.optimizers.Optimizer`.
    """

    _config_keys = ("beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold", "relative_step")

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
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
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, variables: Iterable[torch.Tensor]) -> None:
        variables = list(variables)
        if self.built:
            super().build(variables)
            return
        super().build(variables)
        for variable in variables:
            if variable.dim() < 2:  # not factored: placeholders keep Keras's variable layout
                row = torch.zeros((), dtype=torch.int32, device=variable.device)
                column = torch.zeros((), dtype=torch.int32, device=variable.device)
            else:
                shape = tuple(variable.shape)
                row = variable.new_zeros(shape[:-1])
                column = variable.new_zeros(shape[:-2] + shape[-1:])
            self._add_state(variable, "row", row)
            self._add_state(variable, "column", column)
            self.add_variable_from_reference(variable, "velocity")

    def update_step(
        self, gradient: torch.Tensor, variable: torch.Tensor, learning_rate: LearningRate
    ) -> None:
        state = self.state[variable]
        t = self._local_step()
        cap = 1 / math.sqrt(t)
        if isinstance(learning_rate, torch.Tensor):
            step_size = torch.clamp_max(learning_rate, cap)
        else:
            step_size = min(learning_rate, cap)
        scale = torch.clamp_min(_rms(variable), self.epsilon_2) * step_size
        squared = torch.square(gradient) + self.epsilon_1
        beta_2_t = 1 - t**self.beta_2_decay
        velocity = state["velocity"]
        if variable.dim() >= 2:
            row, column = state["row"], state["column"]
            row.mul_(beta_2_t).add_(squared.mean(dim=-1), alpha=1 - beta_2_t)
            column.mul_(beta_2_t).add_(squared.mean(dim=-2), alpha=1 - beta_2_t)
            normalized_row = row / row.mean(dim=-1, keepdim=True)
            velocity.copy_(normalized_row.unsqueeze(-1) * column.unsqueeze(-2))
        else:
            velocity.mul_(beta_2_t).add_(squared, alpha=1 - beta_2_t)
        update = gradient / torch.sqrt(velocity)
        update = update / torch.clamp_min(_rms(update) / self.clip_threshold, 1.0)
        variable.sub_(scale * update)
