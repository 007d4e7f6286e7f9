"""`CallbackList`: one object that forwards every hook to a list of callbacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchkeras.callbacks.callback import Callback
from torchkeras.callbacks.history import History
from torchkeras.callbacks.logs import pythonify_logs
from torchkeras.callbacks.progbar_logger import ProgbarLogger
from torchkeras.callbacks.torch_lr_scheduler import TorchLRScheduler
from torchkeras.utils.nest import flatten

__all__ = ["CallbackList"]

# For each batch hook of the list: the callback hooks whose overriding means "wants numbers".
_BATCH_HOOKS = {
    "on_train_batch_begin": ("on_train_batch_begin", "on_batch_begin"),
    "on_train_batch_end": ("on_train_batch_end", "on_batch_end"),
    "on_batch_begin": ("on_train_batch_begin", "on_batch_begin"),
    "on_batch_end": ("on_train_batch_end", "on_batch_end"),
    "on_test_batch_begin": ("on_test_batch_begin",),
    "on_test_batch_end": ("on_test_batch_end",),
    "on_predict_batch_begin": ("on_predict_batch_begin",),
    "on_predict_batch_end": ("on_predict_batch_end",),
}


class CallbackList(Callback):
    """Container calling every hook of a list of callbacks, in order.

    Epoch and begin/end logs are always flattened, key-sorted and made Python
    floats. Batch logs (0-dim tensors from the trainer) are converted once per
    batch, with a single host sync, and only when some callback in the list
    reads them as numbers: one that overrides the batch hook and does not declare
    `_handles_tensor_logs = True`. Otherwise they pass through untouched.

    Args:
        callbacks: list of `Callback` instances (nested lists are flattened).
        add_history: whether to add a `History` callback if none is in `callbacks`.
        add_progbar: whether to add a `ProgbarLogger` callback if none is in `callbacks`.
        model: the model the callbacks act on.
        **params: run parameters passed to every callback's `set_params`
            (`verbose`, `epochs`, `steps`).

    Example:
    ```python
    callbacks = keras.callbacks.CallbackList([MyCallback()], model=model, epochs=3, steps=10)
    callbacks.on_train_begin()
    ```
    """

    def __init__(
        self,
        callbacks: list[Callback] | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.callbacks: list[Callback] = flatten(callbacks) if callbacks else []
        # Schedulers step first, so callbacks that save (BackupAndRestore, ModelCheckpoint) store
        # the schedule as it is after the epoch or batch that just ended.
        self.callbacks.sort(key=lambda callback: not isinstance(callback, TorchLRScheduler))
        self._add_default_callbacks(add_history, add_progbar)
        self._refresh_numeric_hooks()
        self.set_model(model)
        self.set_params(params)

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def _refresh_numeric_hooks(self) -> None:
        """Decides, per batch hook, whether its logs must be converted to Python floats, and
        which callbacks implement it at all (the others are not called every batch)."""
        self._numeric = {
            hook: any(_wants_numbers(cb, name) for cb in self.callbacks for name in names)
            for hook, names in _BATCH_HOOKS.items()
        }
        self._listeners = {
            hook: [cb for cb in self.callbacks if any(_implements(cb, name) for name in names)]
            for hook, names in _BATCH_HOOKS.items()
        }

    def set_params(self, params: dict[str, Any] | None) -> None:
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model: Any) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _batch_logs(self, hook: str, logs: dict | None) -> dict:
        if self._numeric[hook]:
            return pythonify_logs(logs)
        return logs if logs is not None else {}

    def _call_all(self, hook: str, *args: Any, logs: dict | None) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def batch_hook(self, hook: str) -> Callable[..., None] | None:
        """This list's batch `hook` (e.g. `"on_test_batch_end"`), or `None` when no callback
        implements it, so a loop skips the call on every batch (valid until the next
        `on_*_begin`, which looks again)."""
        method = getattr(self, hook)
        if getattr(type(self), hook) is not getattr(CallbackList, hook) or self._listeners[hook]:
            return method
        return None

    def _call_batch(self, hook: str, batch: int, logs: dict | None) -> None:
        listeners = self._listeners[hook]
        if not listeners:
            return  # nobody listens: nothing to call or convert, every batch
        logs = self._batch_logs(hook, logs)
        for callback in listeners:
            getattr(callback, hook)(batch, logs=logs)

    # Begin/end of a run: refresh the conversion plan, then forward.
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._refresh_numeric_hooks()
        self._call_all("on_train_begin", logs=pythonify_logs(logs))

    def on_train_end(self, logs: dict | None = None) -> None:
        self._call_all("on_train_end", logs=pythonify_logs(logs))

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._refresh_numeric_hooks()
        self._call_all("on_test_begin", logs=pythonify_logs(logs))

    def on_test_end(self, logs: dict | None = None) -> None:
        self._call_all("on_test_end", logs=pythonify_logs(logs))

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._refresh_numeric_hooks()
        self._call_all("on_predict_begin", logs=pythonify_logs(logs))

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._call_all("on_predict_end", logs=pythonify_logs(logs))

    # Epochs: the same logs dict goes to every callback, so additions (e.g. `learning_rate`) flow on.
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._call_all("on_epoch_begin", epoch, logs=pythonify_logs(logs))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._call_all("on_epoch_end", epoch, logs=pythonify_logs(logs))

    # Batches.
    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_train_batch_end", batch, logs)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_batch_begin", batch, logs)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_batch_end", batch, logs)

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_predict_batch_end", batch, logs)


def _implements(callback: Callback, hook: str) -> bool:
    """Whether `callback` does anything on `hook` (it or a class other than `Callback` defines it).

    The legacy `on_batch_*` hooks are reached through `on_train_batch_*`, so either counts."""
    if hook in vars(callback):
        return True
    return any(hook in vars(klass) for klass in type(callback).__mro__ if klass is not Callback)


def _wants_numbers(callback: Callback, hook: str) -> bool:
    """Whether `callback`'s own `hook` reads batch logs as Python numbers.

    False when the hook is the base's no-op, or when the class defining the hook, or
    a subclass of it, declares `_handles_tensor_logs = True` (the nearest
    declaration wins). True for hooks set on the instance (as `LambdaCallback`
    does) and for any other override: a subclass overriding a hook of
    `ProgbarLogger` gets numbers unless it declares the flag again.
    """
    if hook in vars(callback):
        return True
    handles_tensors = None
    for klass in type(callback).__mro__:
        if handles_tensors is None and "_handles_tensor_logs" in vars(klass):
            handles_tensors = vars(klass)["_handles_tensor_logs"]
        if hook in vars(klass):
            return klass is not Callback and not handles_tensors
    return False
