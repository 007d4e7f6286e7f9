"""`TerminateOnNaN`: stops training when the loss becomes NaN or infinite."""

from __future__ import annotations

import math

from torchkeras.callbacks.callback import Callback

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stops training as soon as a batch's loss is NaN or infinite.

    It reads the loss after every batch, which costs one host sync per batch.

    Args:
        raise_error: if `False` (default), stops gracefully by setting
            `model.stop_training = True` (other callbacks still see
            `on_train_end`); if `True`, raises `RuntimeError` at once.

    Example:
    ```python
    model.fit(x, y, callbacks=[keras.callbacks.TerminateOnNaN()])
    ```
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)
        if math.isnan(loss) or math.isinf(loss):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. "
                    f"Loss value: {loss}. Terminating training immediately."
                )
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
