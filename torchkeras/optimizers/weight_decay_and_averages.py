"""Decoupled weight decay and the moving average of weights (EMA), shared by every optimizer."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import torch

__all__ = ["WeightDecayAndAverages"]

Tensor = torch.Tensor
LearningRate = float | Tensor


class WeightDecayAndAverages:
    """Mixin of `Optimizer` applying `weight_decay` and `use_ema` (it relies on the optimizer's
    attributes: `weight_decay`, `ema_momentum`, `ema_overwrite_frequency`, `use_ema`,
    `_trainable_variables`, `_slots`, `_update_count()`)."""

    def exclude_from_weight_decay(
        self, var_list: Iterable[Tensor] | None = None, var_names: Iterable[str] | None = None
    ) -> None:
        """Excludes variables from weight decay: those in `var_list`, and those whose `path` or `name`
        attribute contains one of `var_names`."""
        self._exclude_ids = {id(v) for v in var_list or ()}
        names = sorted(set(var_names or ()))
        self._exclude_pattern = re.compile("|".join(names)) if names else None
        self._decay_mask = None

    def _use_weight_decay(self, variable: Tensor) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        if self._exclude_pattern is not None:
            for attribute in ("path", "name"):
                value = getattr(variable, attribute, None)
                if isinstance(value, str) and self._exclude_pattern.search(value):
                    return False
        return True

    def _apply_weight_decay(
        self, variables: list[Tensor], indices: list[int] | None, learning_rate: LearningRate
    ) -> None:
        if self.weight_decay is None:
            return
        if self._decay_mask is None:
            self._decay_mask = [self._use_weight_decay(v) for v in self._trainable_variables]
        positions = range(len(variables)) if indices is None else indices
        targets = [v for v, i in zip(variables, positions) if self._decay_mask[i]]
        if targets:
            torch._foreach_mul_(targets, 1 - self.weight_decay * learning_rate)

    def _update_moving_average(self) -> None:
        averages, variables = self._slots["average"], self._trainable_variables
        count = self._update_count()
        if count == 0:
            torch._foreach_copy_(averages, variables)
        else:
            torch._foreach_mul_(averages, self.ema_momentum)
            torch._foreach_add_(averages, variables, alpha=1 - self.ema_momentum)
        frequency = self.ema_overwrite_frequency
        if frequency and (count + 1) % frequency == 0:
            torch._foreach_copy_(variables, averages)

    @torch.no_grad()
    def finalize_variable_values(self, var_list: Sequence[Tensor]) -> None:
        """With `use_ema`, overwrites `var_list` (the built variables) with their moving averages."""
        if not self.use_ema:
            return
        averages = self._slots.get("average", [])
        if len(var_list) != len(averages):
            raise ValueError(
                f"The length of model variables ({len(var_list)}) to override does not match the number of "
                f"moving averages stored in the optimizer ({len(averages)})."
            )
        torch._foreach_copy_(list(var_list), averages)
