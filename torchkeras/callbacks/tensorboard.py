"""`TensorBoard`: writes Keras's TensorBoard logs with `torch.utils.tensorboard`."""

from __future__ import annotations

import json
import os
import time
import warnings
from typing import Any

import numpy as np
import torch

from torchkeras.callbacks.callback import Callback

__all__ = ["TensorBoard"]


def _summary_writer_class() -> type:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as error:  # torch raises this when the tensorboard package is missing
        raise ImportError(
            "The `TensorBoard` callback needs the `tensorboard` package (the `tensorboard` extra): "
            'pip install -e ".[tensorboard]"'
        ) from error
    return SummaryWriter


class TensorBoard(Callback):
    """Writes logs that TensorBoard shows as it shows a Keras run.

    Event files go to `log_dir/train` and `log_dir/validation`, with Keras's tag names:
    `epoch_<metric>` per epoch (validation metrics without their `val_` prefix, in the
    validation folder), `epoch_learning_rate`, `batch_<metric>` per batch when `update_freq`
    asks for it, `evaluation_<metric>_vs_iterations` after each evaluation, and
    `<weight path>/histogram` every `histogram_freq` epochs.

    Args:
        log_dir: folder of the event files.
        histogram_freq: epochs between weight histograms (0 for none).
        write_graph: whether to write the model's config and, where torch can trace the
            model from its symbolic inputs, its graph.
        write_images: whether to write the weights as images along with the histograms.
        write_steps_per_second: whether to log training steps per second.
        update_freq: `"epoch"`, `"batch"`, or an integer N: log batch-level metrics every N
            training batches.
        profile_batch: must be 0 (profiling is not available on torch, as in Keras's torch
            backend).
        embeddings_freq: epochs between writes of the `Embedding` layers' weights for the
            embedding projector (0 for none).
        embeddings_metadata: a file of labels for the projector, or a dict from an
            `Embedding` layer's name to such a file.

    Example:
    ```python
    model.fit(x, y, epochs=5, callbacks=[keras.callbacks.TensorBoard(log_dir="./logs")])
    # then: tensorboard --logdir ./logs
    ```
    """

    _handles_tensor_logs = True  # batch values are read only when a batch is written

    def __init__(
        self,
        log_dir: str | os.PathLike = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: int = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: str | dict | None = None,
    ) -> None:
        super().__init__()
        if profile_batch:
            raise ValueError(
                "Profiling is not yet available with the torch backend. "
                f"Received: profile_batch={profile_batch} (must be 0)"
            )
        if update_freq not in ("epoch", "batch") and not (
            isinstance(update_freq, int) and not isinstance(update_freq, bool) and update_freq > 0
        ):
            raise ValueError(
                "`update_freq` must be 'epoch', 'batch' or a positive integer. "
                f"Received: update_freq={update_freq}"
            )
        for name, value in (("histogram_freq", histogram_freq), ("embeddings_freq", embeddings_freq)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"`{name}` must be a non-negative integer. Received: {name}={value}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers: dict[str, Any] = {}
        self._global_train_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0
        self._graph_written = False

    # -------------------------------------------------------------------------------- writers
    def _writer(self, kind: str) -> Any:
        if kind not in self._writers:
            folder = os.path.join(self.log_dir, "train" if kind == "train" else "validation")
            self._writers[kind] = _summary_writer_class()(log_dir=folder)
        return self._writers[kind]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # -------------------------------------------------------------------------------- hooks
    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self._graph_written = False

    def on_train_begin(self, logs: dict | None = None) -> None:
        _summary_writer_class()  # a missing extra fails here, before the first epoch
        self._global_train_batch = 0
        if self.write_graph and not self._graph_written:
            self._write_model_graph()
            self._graph_written = True

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close_writers()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.write_steps_per_second:
            self._epoch_start_time = time.perf_counter()
            self._epoch_start_iterations = self._iterations()

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        writer = self._writer("train")
        step = self._global_train_batch
        if self.write_steps_per_second:
            elapsed = max(time.perf_counter() - self._batch_start_time, 1e-12)
            writer.add_scalar("batch_steps_per_second", 1.0 / elapsed, step)
        for name, value in (logs or {}).items():
            scalar = _scalar(value)
            if scalar is not None:
                writer.add_scalar(f"batch_{name}", scalar, step)

    def on_test_end(self, logs: dict | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not logs:
            return
        writer = self._writer("validation")
        step = self._iterations()
        for name, value in logs.items():
            scalar = _scalar(value)
            if scalar is not None:
                writer.add_scalar(f"evaluation_{name}_vs_iterations", scalar, step)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        validation = {k[len("val_") :]: v for k, v in logs.items() if k.startswith("val_")}
        learning_rate = self._learning_rate()
        if learning_rate is not None:
            train["learning_rate"] = learning_rate
        if self.write_steps_per_second:
            elapsed = max(time.perf_counter() - self._epoch_start_time, 1e-12)
            train["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) / elapsed
        for kind, values in (("train", train), ("validation", validation)):
            if not values:
                continue
            writer = self._writer(kind)
            for name, value in values.items():
                scalar = _scalar(value)
                if scalar is not None:
                    writer.add_scalar(f"epoch_{name}", scalar, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._write_embeddings(epoch)
        for writer in self._writers.values():
            writer.flush()

    # -------------------------------------------------------------------------------- content
    def _iterations(self) -> int:
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        if iterations is None:
            return self._global_train_batch
        return int(iterations.item() if isinstance(iterations, torch.Tensor) else iterations)

    def _learning_rate(self) -> float | None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            return None
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        rate = getattr(optimizer, "learning_rate", None)
        if rate is None and isinstance(optimizer, torch.optim.Optimizer) and optimizer.param_groups:
            rate = optimizer.param_groups[0]["lr"]
        return _scalar(rate)

    def _write_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in getattr(self.model, "layers", []):
            for weight in layer.weights:
                name = getattr(weight, "path", getattr(weight, "name", "weight")).replace(":", "_")
                values = weight.detach().float().cpu()
                writer.add_histogram(f"{name}/histogram", values, epoch)
                if self.write_images:
                    image = _weight_image(values)
                    if image is not None:
                        writer.add_image(f"{name}/image", image, epoch, dataformats="HW")

    def _write_embeddings(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in getattr(self.model, "layers", []):
            if type(layer).__name__ != "Embedding":
                continue
            metadata = self.embeddings_metadata
            if isinstance(metadata, dict):
                metadata = metadata.get(layer.name)
            labels = None
            if metadata is not None:
                with open(metadata, encoding="utf8") as handle:
                    labels = [line.rstrip("\n") for line in handle]
            matrix = layer.embeddings.detach().float().cpu()
            writer.add_embedding(matrix, metadata=labels, global_step=epoch, tag=layer.name)

    def _write_model_graph(self) -> None:
        writer = self._writer("train")
        get_config = getattr(self.model, "get_config", None)
        try:
            config = json.dumps(get_config() if get_config else {}, default=str)
        except Exception:  # a subclassed model may not define a serializable config
            config = "{}"
        writer.add_text("keras", config, 0)
        inputs = getattr(self.model, "inputs", None)
        if not inputs or any(None in tuple(t.shape)[1:] for t in inputs):
            return
        dtypes = [getattr(torch, str(getattr(t, "dtype", "float32")), None) for t in inputs]
        if not all(isinstance(dtype, torch.dtype) for dtype in dtypes):
            return  # e.g. string inputs: nothing torch can trace
        examples = [torch.zeros((1, *tuple(t.shape)[1:]), dtype=d) for t, d in zip(inputs, dtypes)]
        device = next((p.device for p in self.model.parameters()), torch.device("cpu"))
        examples = [e.to(device) for e in examples]
        was_training = self.model.training
        try:
            self.model.eval()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                writer.add_graph(self.model, examples[0] if len(examples) == 1 else examples)
        except Exception as error:  # tracing is best effort, as torch's own add_graph
            warnings.warn(f"TensorBoard could not trace the model's graph: {error}", stacklevel=2)
        finally:
            self.model.train(was_training)


def _scalar(value: Any) -> float | None:
    if isinstance(value, torch.Tensor):
        return float(value.detach().float().mean().item()) if value.numel() else None
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.ndarray) and value.size:
        return float(value.mean())
    return None


def _weight_image(values: torch.Tensor) -> torch.Tensor | None:
    """A 2-D picture of a weight in 0..1: a bias as a row, a kernel flattened to (rows, columns)."""
    values = values.squeeze()
    if values.ndim == 0:
        return None
    if values.ndim == 1:
        values = values[None, :]
    elif values.ndim > 2:
        values = values.reshape(-1, values.shape[-1])
    low, high = values.min(), values.max()
    return (values - low) / (high - low) if high > low else torch.zeros_like(values)
