"""`SwapEMAWeights`: evaluates and predicts with the optimizer's moving averages of the weights."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.callbacks.callback import Callback

__all__ = ["SwapEMAWeights"]


class SwapEMAWeights(Callback):
    """Puts the optimizer's exponential moving averages (`use_ema=True`) into the model for
    evaluation and prediction, and the trained weights back afterwards.

    With `swap_on_epoch=True` the averages are also in the model at the end of each epoch (so
    `ModelCheckpoint`, placed after this callback, saves them) and swapped out again when the
    next epoch begins; after the last epoch the model keeps the averages.

    Args:
        swap_on_epoch: whether to swap at epoch boundaries too.

    Example:
    ```python
    model.compile(optimizer=keras.optimizers.SGD(use_ema=True), loss="mse")
    model.fit(x, y, validation_data=(xv, yv), callbacks=[keras.callbacks.SwapEMAWeights()])
    ```
    """

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizers(self) -> list[Any]:
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        candidates = list(getattr(optimizer, "optimizers", [optimizer]))
        chosen = [opt for opt in candidates if getattr(opt, "use_ema", False)]
        if not chosen or not all(hasattr(opt, "_model_variables_moving_average") for opt in chosen):
            raise ValueError(
                "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer (and the "
                f"optimizer is built). Received: use_ema={getattr(optimizer, 'use_ema', None)}"
            )
        return chosen

    @torch.no_grad()
    def _swap(self) -> None:
        for optimizer in self._ema_optimizers():
            for variable, average in zip(
                optimizer._trainable_variables, optimizer._model_variables_moving_average
            ):
                trained = variable.detach().clone()
                variable.copy_(average)
                average.copy_(trained)

    @torch.no_grad()
    def _finalize(self) -> None:
        for optimizer in self._ema_optimizers():
            for variable, average in zip(
                optimizer._trainable_variables, optimizer._model_variables_moving_average
            ):
                average.copy_(variable)

    def _put_ema_in(self) -> None:
        if not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True

    def _take_ema_out(self) -> None:
        if self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.swap_on_epoch:
            self._take_ema_out()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._put_ema_in()
            if epoch == self.params.get("epochs", 0) - 1:
                self._finalize()

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._put_ema_in()

    def on_test_end(self, logs: dict | None = None) -> None:
        self._take_ema_out()

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._put_ema_in()

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._take_ema_out()
