"""`DropoutRNNCell`: the per-sequence dropout masks of the built-in RNN cells."""

from __future__ import annotations

import torch

__all__ = ["DropoutRNNCell"]


class DropoutRNNCell:
    """Mixin creating dropout masks once per sequence and reusing them at every step, as Keras does.

    The cell provides `dropout`, `recurrent_dropout`, and optionally `dropout_mask_count` (one mask
    per gate instead of one shared mask) and `_random` (its `SeededRandomness`).
    The `RNN` layer resets the cached masks after each sequence.
    """

    _dropout_mask: torch.Tensor | None = None
    _recurrent_dropout_mask: torch.Tensor | None = None

    def _create_dropout_mask(self, step_input: torch.Tensor, rate: float) -> torch.Tensor:
        count = getattr(self, "dropout_mask_count", None)
        shape = tuple(step_input.shape) if count is None else (count, *step_input.shape)
        random = getattr(self, "_random", None)
        generator = None if random is None else random.generator(step_input.device)
        keep = torch.rand(shape, generator=generator, device=step_input.device) >= rate
        return keep.to(step_input.dtype) / (1.0 - rate)

    def get_dropout_mask(self, step_input: torch.Tensor) -> torch.Tensor | None:
        """The cached input mask (`(batch, features)`, or `(count, batch, features)`)."""
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_input: torch.Tensor) -> torch.Tensor | None:
        """The cached mask on the previous state (`(batch, units)`, or one per gate)."""
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input, self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self) -> None:
        if self._dropout_mask is not None:
            self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        if self._recurrent_dropout_mask is not None:
            self._recurrent_dropout_mask = None
