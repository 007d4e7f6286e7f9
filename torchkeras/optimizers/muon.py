"""Muon: momentum orthogonalized by a Newton-Schulz iteration for 2-D weights, AdamW for the rest."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from torchkeras.optimizers.optimizer import Indices, LearningRate, Optimizer, TensorList
from torchkeras.utils.registry import register_builtin

__all__ = ["Muon"]


@register_builtin
class Muon(Optimizer):
    """Muon (MomentUm Orthogonalized by Newton-Schulz), as Keras computes it.

    For a 2-D weight: `m = momentum * m + g`; the direction `g + momentum * m` (Nesterov) or `m`
    is orthogonalized by `ns_steps` quintic Newton-Schulz iterations (coefficients `muon_a`,
    `muon_b`, `muon_c`) and scaled by `sqrt(max(rows, cols)) * rms_rate`, then
    `w -= learning_rate * update`. Other weights (not 2-D, embeddings when
    `exclude_embeddings`, or paths matching `exclude_layers`) take AdamW steps with
    `learning_rate * adam_lr_ratio` and `adam_weight_decay`.

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to `0.001`.
        adam_beta_1, adam_beta_2, epsilon: the AdamW settings.
        adam_weight_decay: weight decay of the AdamW weights.
        weight_decay: weight decay of the Muon weights.
        exclude_layers: regular expressions; weights whose path matches use AdamW.
        exclude_embeddings: whether weights with "embedding" in their path use AdamW.
        muon_a, muon_b, muon_c: the Newton-Schulz coefficients.
        adam_lr_ratio: the AdamW learning rate as a multiple of `learning_rate`.
        momentum: the Muon momentum.
        ns_steps: Newton-Schulz iterations.
        nesterov: use the Nesterov direction.
        rms_rate: the update-scale factor (`None`: no scaling).
        **kwargs: the common optimizer arguments (`clipnorm`, `use_ema`, ...).

    Example:
    ```python
    optimizer = keras.optimizers.Muon(learning_rate=0.02)
    ```
    """

    _config_keys = (
        "adam_beta_1",
        "adam_beta_2",
        "epsilon",
        "exclude_layers",
        "muon_a",
        "muon_b",
        "muon_c",
        "adam_lr_ratio",
        "momentum",
        "ns_steps",
        "nesterov",
        "exclude_embeddings",
        "adam_weight_decay",
        "rms_rate",
    )

    def __init__(
        self,
        learning_rate: Any = 0.001,
        adam_beta_1: float = 0.9,
        adam_beta_2: float = 0.999,
        adam_weight_decay: float = 0.004,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.004,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        exclude_layers: list[str] | None = None,
        exclude_embeddings: bool = True,
        muon_a: float = 3.4445,
        muon_b: float = -4.7750,
        muon_c: float = 2.0315,
        adam_lr_ratio: float = 1,
        momentum: float = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: float | None = 0.2,
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
        if not isinstance(ns_steps, int) or ns_steps < 1:
            raise ValueError(
                f"Argument `ns_steps` must be a positive integer. Received: ns_steps={ns_steps!r}"
            )
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _uses_adamw(self, variable: Tensor) -> bool:
        if len(getattr(variable, "keras_shape", variable.shape)) != 2:
            return True
        path = getattr(variable, "path", "") or ""
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(pattern, path) for pattern in self.exclude_layers)

    def build(self, variables: Iterable[Tensor]) -> None:
        variables = list(variables)
        if self.built:
            super().build(variables)
            return
        super().build(variables)
        self._adamw = [self._uses_adamw(v) for v in variables]
        for variable, adamw in zip(variables, self._adamw):
            self.add_variable_from_reference(variable, "momentum")
            if adamw:
                self.add_variable_from_reference(variable, "velocity")

    def _parallel_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: LearningRate, indices: Indices
    ) -> None:
        positions = range(len(variables)) if indices is None else indices
        step = self._local_step()
        for gradient, variable, index in zip(grads, variables, positions):
            state = self.state[variable]
            if self._adamw[index]:
                self._adamw_step(gradient, variable, learning_rate * self.adam_lr_ratio, state, step)
            else:
                self._muon_step(gradient, variable, learning_rate, state["momentum"])

    def _muon_step(self, gradient: Tensor, variable: Tensor, learning_rate: LearningRate, m: Tensor) -> None:
        m.mul_(self.momentum).add_(gradient)
        direction = gradient + self.momentum * m if self.nesterov else m
        update = self._orthogonalize(direction)
        if self.rms_rate is not None:
            update = update * (max(update.shape[0], update.shape[1]) ** 0.5) * self.rms_rate
        variable.sub_(learning_rate * update)

    def _adamw_step(
        self, gradient: Tensor, variable: Tensor, learning_rate: LearningRate, state: dict, step: int
    ) -> None:
        m, v = state["momentum"], state["velocity"]
        alpha = learning_rate * (1 - self.adam_beta_2**step) ** 0.5 / (1 - self.adam_beta_1**step)
        m.lerp_(gradient, 1 - self.adam_beta_1)
        v.lerp_(gradient * gradient, 1 - self.adam_beta_2)
        variable.sub_(m * alpha / (v.sqrt() + self.epsilon))

    def _orthogonalize(self, x: Tensor) -> Tensor:
        """The quintic Newton-Schulz iteration: approximately `U V^T` of `x`'s SVD."""
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = x.transpose(-2, -1)
        x = x / (torch.linalg.matrix_norm(x, keepdim=True) + 1e-7)
        for _ in range(self.ns_steps):
            gram = x @ x.transpose(-2, -1)
            x = self.muon_a * x + (self.muon_b * gram + self.muon_c * gram @ gram) @ x
        return x.transpose(-2, -1) if tall else x

    def _apply_weight_decay(
        self, variables: list[Tensor], indices: list[int] | None, learning_rate: LearningRate
    ) -> None:
        if self._decay_mask is None:
            self._decay_mask = [self._use_weight_decay(v) for v in self._trainable_variables]
        positions = range(len(variables)) if indices is None else indices
        for variable, index in zip(variables, positions):
            decay = self.adam_weight_decay if self._adamw[index] else self.weight_decay
            if decay is not None and self._decay_mask[index]:
                variable.mul_(1 - decay * learning_rate)
