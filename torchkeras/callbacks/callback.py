"""The `Callback` base class: hooks into `fit`, `evaluate` and `predict`."""

from __future__ import annotations

from typing import Any

from torch.nn.parallel import DistributedDataParallel

__all__ = ["Callback"]


class Callback:
    """Base class for objects that hook into training, evaluation and prediction.

    Subclass it and override the hooks you need; `fit`, `evaluate` and `predict`
    call them at the matching moments. A callback acts on the model only through
    its public API (`model.stop_training`, `model.optimizer.learning_rate`,
    `model.get_weights()`, `model.save()`, ...).

    Epoch logs hold Python floats (`{"loss": 0.2, "val_loss": 0.3}`). Batch logs
    hold the running metric values; they arrive as Python floats unless the
    callback class sets `_handles_tensor_logs = True`, in which case they may be
    0-dim torch tensors (read them only when needed: each read is a host sync).

    Attributes:
        model: the model being trained, set by `set_model`.
        params: dict of run parameters (`"verbose"`, `"epochs"`, `"steps"`),
            set by `set_params`.

    Example:
    ```python
    class StopAtLoss(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs["loss"] < 0.01:
                self.model.stop_training = True
    ```
    """

    # True when every batch hook this class defines accepts tensor logs as-is.
    _handles_tensor_logs: bool = False
    # Class-level defaults keep subclasses that skip `super().__init__()` working.
    params: dict[str, Any] | None = None
    _model: Any = None

    def __init__(self) -> None:
        self.params: dict[str, Any] | None = None
        self._model: Any = None

    def set_params(self, params: dict[str, Any] | None) -> None:
        """Stores the run parameters (`"verbose"`, `"epochs"`, `"steps"`)."""
        self.params = params

    def set_model(self, model: Any) -> None:
        """Stores the model the callback acts on."""
        self._model = model

    @property
    def model(self) -> Any:
        """The model being trained (unwrapped from `DistributedDataParallel`)."""
        model = self._model
        if isinstance(model, DistributedDataParallel):
            return model.module
        return model

    # Training: whole run, epochs, batches.
    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once at the start of `fit`."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called once at the end of `fit`; `logs` are the last epoch's logs."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the start of epoch `epoch` (0-based) during `fit`."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the end of epoch `epoch`; `logs` hold the epoch's metrics and `val_*` metrics."""

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before training batch `batch` (0-based within the epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after training batch `batch`; `logs` hold the running metric values."""
        self.on_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Legacy alias of `on_train_batch_begin`."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Legacy alias of `on_train_batch_end`."""

    # Evaluation (`evaluate`, and validation inside `fit`).
    def on_test_begin(self, logs: dict | None = None) -> None:
        """Called at the start of `evaluate` or of a validation pass."""

    def on_test_end(self, logs: dict | None = None) -> None:
        """Called at the end of `evaluate` or of a validation pass; `logs` hold its metrics."""

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before evaluation batch `batch`."""

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after evaluation batch `batch`; `logs` hold the running metric values."""

    # Prediction.
    def on_predict_begin(self, logs: dict | None = None) -> None:
        """Called at the start of `predict`."""

    def on_predict_end(self, logs: dict | None = None) -> None:
        """Called at the end of `predict`."""

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before prediction batch `batch`."""

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after prediction batch `batch`; `logs["outputs"]` holds the batch's outputs."""
