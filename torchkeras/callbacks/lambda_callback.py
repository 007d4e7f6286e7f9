"""`LambdaCallback`: a callback built from plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchkeras.callbacks.callback import Callback

__all__ = ["LambdaCallback"]


class LambdaCallback(Callback):
    """Callback whose hooks are the functions you pass.

    The functions receive the hook's positional arguments: `(epoch, logs)` for
    epoch hooks, `(logs)` for begin/end hooks, `(batch, logs)` for batch hooks.

    Args:
        on_epoch_begin: called at the start of every epoch.
        on_epoch_end: called at the end of every epoch.
        on_train_begin: called at the start of training.
        on_train_end: called at the end of training.
        on_train_batch_begin: called before every training batch.
        on_train_batch_end: called after every training batch.
        **kwargs: any other hook, by name (e.g. `on_test_end=fn`).

    Example:
    ```python
    printer = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"])
    )
    ```
    """

    def __init__(
        self,
        on_epoch_begin: Callable | None = None,
        on_epoch_end: Callable | None = None,
        on_train_begin: Callable | None = None,
        on_train_end: Callable | None = None,
        on_train_batch_begin: Callable | None = None,
        on_train_batch_end: Callable | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
