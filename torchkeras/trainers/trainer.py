"""`Trainer`: Keras's compile / fit / evaluate / predict, on a plain PyTorch loop.

`fit` reads like the loop it is: data -> `on_train_begin` -> per epoch, per batch `train_step`
-> callbacks -> validation as `val_*` -> `on_epoch_end` -> `History`. Steps never read values
back to the host: losses and metrics accumulate on the device, and Python numbers are made in
one place (`pythonify_logs`), when an epoch ends or a callback asks for them.
"""

from __future__ import annotations

import warnings
from collections.abc import MutableMapping
from typing import Any

import torch

from torchkeras import config, optimizers
from torchkeras import metrics as metrics_module
from torchkeras.callbacks.callback_list import CallbackList
from torchkeras.callbacks.logs import pythonify_logs
from torchkeras.layers.call_context import call_context, weight_count
from torchkeras.layers.symbolic import owned_metrics
from torchkeras.trainers import distributed
from torchkeras.trainers.compile_utils import (
    CompileLoss,
    CompileMetrics,
    declared_output_names,
    output_names_for,
)
from torchkeras.trainers.data import (
    ArrayData,
    DataSource,
    WithClassWeights,
    batch_size_of,
    check_loop_arguments,
    class_weights_to_sample_weights,
    data_device,
    looks_like_arrays,
    make_data,
    pack_x_y_sample_weight,
    single_batch,
    split_validation,
    unpack_x_y_sample_weight,
    warn_out_of_data,
)
from torchkeras.trainers.device import Placement
from torchkeras.trainers.grouped_updates import GroupedTestSteps
from torchkeras.trainers.model_outputs import labels_from_inputs, predictions, returned_loss
from torchkeras.trainers.results import LossTracker, MetricResults, metrics_by_name
from torchkeras.utils.nest import flatten, pack_like, to_numpy
from torchkeras.utils.outside_compile import outside_compile

__all__ = ["Trainer"]


class Trainer(Placement):
    """Training and inference methods mixed into `Model`."""

    def __init__(self) -> None:
        self.compiled = False
        self.optimizer: Any = None
        self.loss: Any = None
        self.stop_training = False
        self.history: Any = None
        self._compile_loss: CompileLoss | None = None
        self._compile_metrics: CompileMetrics | None = None
        self._loss_tracker: Any = None
        self._output_loss_trackers: list[Any] = []
        self._compile_config: dict | None = None
        self._jit_compile = False
        self._steps_per_execution = 1
        self._device_pinned = False
        self._grad_scaler: Any = None
        self._auto_scale_loss = True
        self._scale_gradients = False
        self._step_functions: dict[str, Any] = {}
        # The output entry the compiled loss, metrics and `predict` use (see `model_outputs`).
        self.prediction_key: str | None = None

    # --------------------------------------------------------------------- distributed

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """During a distributed `fit`, a training call goes through `DistributedDataParallel`
        (which then calls this model again, as its module) so gradients are averaged."""
        state = self.__dict__
        if state.get("_ddp_wanted") and not state.get("_in_ddp") and torch.is_grad_enabled():
            ddp = state.get("_ddp") or self._make_ddp(args, kwargs)
            state["_in_ddp"] = True
            try:
                return ddp(*args, **kwargs)
            finally:
                state["_in_ddp"] = False
        return super().__call__(*args, **kwargs)

    def _make_ddp(self, args: tuple = (), kwargs: dict | None = None) -> Any:
        """Wraps the model in `DistributedDataParallel` (a collective: every rank does it at once).
        A model not built yet is built first by one call on the given inputs."""
        from torch.nn.parallel import DistributedDataParallel

        if not getattr(self, "built", True) and args:
            with torch.no_grad():
                super().__call__(*args, **{**(kwargs or {}), "training": False})
        device = self.device
        ddp = DistributedDataParallel(self, device_ids=[device] if device.type == "cuda" else None)
        self.__dict__["_ddp"] = ddp
        return ddp

    def _start_distributed(self) -> bool:
        """Under torchrun: the process group, this rank's device, and whether the run is
        data-parallel (see `distributed.data_parallel`)."""
        if distributed.initialize():
            device = distributed.local_device()
            if self.device != device:
                torch.nn.Module.to(self, device)
            self._device_pinned = True
        return distributed.data_parallel(self)

    def _set_shard_loss_scale(self, scale: float) -> None:
        self.__dict__["_shard_loss_scale"] = scale

    def _read_results(self, read: Any) -> Any:
        """`read()` of the metrics' results, summed over ranks in a distributed run."""
        if distributed.is_active() and distributed.data_parallel(self):
            return distributed.reduce_metric_results(self.metrics, read)
        return read()

    # ------------------------------------------------------------------------- compile

    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: bool | str = "auto",
        auto_scale_loss: bool = True,
    ) -> None:
        """Configures the model for training.

        Args:
            optimizer: optimizer name, Keras optimizer, or a `torch.optim.Optimizer` instance.
            loss: loss name, function or `Loss`; a list or dict for several outputs.
            loss_weights: optional per-output scalar weights of the losses.
            metrics: metrics (names, functions or `Metric`s); a list per output or a dict.
            weighted_metrics: metrics that also receive `sample_weight` / `class_weight`.
            run_eagerly: accepted; steps always run eagerly unless `jit_compile=True`.
            steps_per_execution: batch callbacks run every this many steps.
            jit_compile: `True` compiles the train / test / predict steps with `torch.compile`.
            auto_scale_loss: use a gradient scaler under the `"mixed_float16"` policy.
        """
        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError(
                f"`steps_per_execution` must be a positive integer. Received: {steps_per_execution!r}"
            )
        # Everything is checked before anything is assigned: a compile that raises changes nothing.
        resolved_optimizer = optimizers.get(optimizer)
        output_names = declared_output_names(self)
        compile_loss = CompileLoss(loss, loss_weights, output_names) if loss is not None else None
        has_metrics = metrics is not None or weighted_metrics is not None
        compile_metrics = CompileMetrics(metrics, weighted_metrics, output_names) if has_metrics else None
        self.optimizer = resolved_optimizer
        self.loss = loss
        self._compile_loss = compile_loss
        self._compile_metrics = compile_metrics
        # Compiled steps fuse the tracker's update into their graph; eager ones defer it.
        self._loss_tracker = metrics_module.Mean(name="loss") if jit_compile is True else LossTracker()
        self._output_loss_trackers = []
        self._steps_per_execution = steps_per_execution
        self._jit_compile = jit_compile is True
        self._auto_scale_loss = auto_scale_loss
        self._scale_gradients = auto_scale_loss and self.dtype_policy.name == "mixed_float16"
        self._step_functions = {}
        self._grad_scaler = None
        self.__dict__.pop("_step_metrics_cache", None)
        self._compile_config = {
            "optimizer": optimizer if isinstance(optimizer, str) else None,
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }
        self.compiled = True

    def _assert_compiled(self, method: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"You must call `compile()` before calling `{method}()`.")

    # ------------------------------------------------------------------- losses, metrics

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> torch.Tensor:
        """The total loss of a batch: compiled losses plus the layers' added and weight losses."""
        total = None
        if self._compile_loss is not None and y is not None:
            total, per_output = self._compile_loss(y, predictions(y_pred, self.prediction_key), sample_weight)
            if len(per_output) > 1:
                self._track_output_losses(per_output, x)
        else:
            total = returned_loss(y_pred)  # a model that returns its own loss
        extra = self.losses if self._has_extra_losses() else None
        if extra:
            added = torch.stack([loss.to(extra[0].dtype).reshape(()) for loss in extra]).sum()
            total = added if total is None else total + added
        if total is None:
            raise ValueError(
                "No loss to compute: pass `loss=` to `compile()` and labels `y` to `fit()`, return "
                "a dict / dataclass with a `loss` entry from the model, or add losses with `add_loss()`."
            )
        return total

    def _has_extra_losses(self) -> bool:
        """Whether a layer of this thread ever called `add_loss` or any weight has a regularizer."""
        return bool(call_context.losses_added) or self._has_weight_regularizers()

    def _has_weight_regularizers(self) -> bool:
        """Whether any weight has a regularizer (the scan is cached until a weight is created)."""
        cached = self.__dict__.get("_regularized_cache")
        if cached is None or cached[0] != weight_count.created:
            found = any(getattr(w, "regularizer", None) is not None for w in self.weights)
            cached = (weight_count.created, found)
            self.__dict__["_regularized_cache"] = cached
        return cached[1]

    def _track_output_losses(self, per_output: list, x: Any) -> None:
        names = self._compile_loss.output_names
        if not self._output_loss_trackers:
            self._output_loss_trackers = [metrics_module.Mean(name=f"{name}_loss") for name in names]
            self.__dict__.pop("_step_metrics_cache", None)
        size = batch_size_of(x)
        for tracker, value in zip(self._output_loss_trackers, per_output):
            if value is not None:
                tracker.update_state(value.detach(), sample_weight=size)

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict[str, Any]:
        """Updates the compiled metrics with a batch; returns all current results (tensors)."""
        if y is None:
            y = labels_from_inputs(x, y_pred)
        if self._compile_metrics is not None and y is not None:
            y_pred = predictions(y_pred, self.prediction_key)
            self._compile_metrics.update_state(y, y_pred, sample_weight)  # builds on the first batch
        return self.get_metrics_result()

    @property
    def metrics(self) -> list[Any]:
        """Every metric the model tracks, in Keras's order: the loss, per-output losses, the
        compiled metrics (one `"compile_metrics"` container), the model's own metrics, then
        those its layers hold, at any depth (not those of nested models' trainers)."""
        found = [self._loss_tracker] if self._loss_tracker is not None else []
        found += self._output_loss_trackers
        if self._compile_metrics is not None:
            found.append(self._compile_metrics)
        found += [m for m in self.__dict__.get("_tracked_metrics", ()) if m not in found]
        for module in self.modules():
            if not isinstance(module, Trainer):
                found += [m for m in owned_metrics(module) if not any(m is f for f in found)]
        return found

    def _step_metrics(self) -> dict[str, Any]:
        """`metrics` as the steps report them, by name: found once, then kept until
        `reset_metrics` (each epoch, each `evaluate`), `compile` or a new tracker looks again, so
        no step walks the layers (the compiled metrics are read again until they are built)."""
        cached = self.__dict__.get("_step_metrics_cache")
        if cached is None:
            cached = self.metrics
            self.__dict__["_step_metrics_cache"] = cached
        by_name = self.__dict__.get("_step_metrics_by_name")
        if by_name is None or by_name[0] is not cached:
            compiled = self._compile_metrics
            by_name = (cached, metrics_by_name(cached))
            if compiled is None or compiled.built:
                self.__dict__["_step_metrics_by_name"] = by_name
        return by_name[1]

    def __setattr__(self, name: str, value: Any) -> None:
        # Keras tracks metrics assigned as attributes (e.g. `self.loss_tracker = Mean()`).
        if isinstance(value, metrics_module.Metric):
            self.__dict__.pop("_step_metrics_cache", None)
            if not name.startswith("_"):
                self.__dict__.setdefault("_tracked_metrics", []).append(value)
        super().__setattr__(name, value)

    @property
    def metrics_names(self) -> list[str]:
        return [metric.name for metric in self.metrics]

    def get_metrics_result(self) -> MutableMapping[str, Any]:
        """Current results of all metrics, as tensors (no host sync), computed when read."""
        return MetricResults(self._step_metrics())

    def reset_metrics(self) -> None:
        found = self.metrics
        cached = self.__dict__.get("_step_metrics_cache")
        # The same metrics keep the same cached list: a compiled step guards on it.
        if cached is None or len(cached) != len(found) or any(a is not b for a, b in zip(cached, found)):
            self.__dict__["_step_metrics_cache"] = found
        for metric in found:
            metric.reset_state()

    # --------------------------------------------------------------------------- steps

    def train_step(self, data: Any) -> dict[str, Any]:
        """One optimization step on a batch; returns the metric results (tensors)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        device = data_device(x) or self.device  # batches are already on the model's device
        with self._autocast(device):
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
        self._loss_tracker.update_state(loss.detach(), sample_weight=batch_size_of(x))
        self._apply_gradients(loss, device)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    @outside_compile
    def _apply_gradients(self, loss: torch.Tensor, device: torch.device) -> None:
        """Backward pass and optimizer update. Always eager: a compiled `train_step` is one graph
        for the forward pass, loss and metrics, and runs this between (Dynamo cannot trace
        `backward()`; the update's bookkeeping would be guarded on every step)."""
        optimizer = self.optimizer
        if getattr(optimizer, "built", True) is False:
            optimizer.build(self.trainable_weights)
        if not loss.requires_grad and not self.trainable_weights:
            warnings.warn("The model does not have any trainable weights.", stacklevel=3)  # as Keras
            return
        optimizer.zero_grad(set_to_none=True)
        shard_scale = self.__dict__.get("_shard_loss_scale", 1.0)
        if shard_scale != 1.0:  # this rank holds a smaller share of the global batch (its tail)
            loss = loss * shard_scale
        if getattr(optimizer, "loss_scale_factor", None) is not None:
            loss = optimizer.scale_loss(loss)
        scaler = self._scaler(device)
        if scaler is None:
            loss.backward()
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        if not isinstance(optimizer, optimizers.Optimizer):
            self._apply_constraints()  # Keras optimizers apply them in their own step

    def _apply_constraints(self) -> None:
        """Applies the weights' constraints after a `torch.optim` optimizer's step, as Keras's do."""
        constrained = self.__dict__.get("_constrained_cache")
        if constrained is None or constrained[0] != weight_count.created:
            found = [w for w in self.trainable_weights if callable(getattr(w, "constraint", None))]
            constrained = (weight_count.created, found)
            self.__dict__["_constrained_cache"] = constrained
        with torch.no_grad():
            for weight in constrained[1]:
                weight.copy_(
                    weight.constrained() if hasattr(weight, "constrained") else weight.constraint(weight)
                )

    def test_step(self, data: Any) -> dict[str, Any]:
        """Computes the loss and metrics of a batch without training."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with self._autocast(data_device(x) or self.device):
            y_pred = self(x, training=False)
        return self._update_test_state(x, y, y_pred, sample_weight)

    def _update_test_state(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any, size: int | None = None
    ) -> dict[str, Any]:
        """The loss tracker and metrics updated with the predictions of a batch (or of a group of
        batches, `size` samples in all: see `grouped_updates.py`); returns the results."""
        if self._compile_loss is not None or self._has_extra_losses() or returned_loss(y_pred) is not None:
            with self._autocast(data_device(y_pred) or self.device):
                loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
            self._loss_tracker.update_state(loss, sample_weight=size or batch_size_of(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        """Returns the model's outputs for a batch."""
        x, _, _ = unpack_x_y_sample_weight(data)
        with self._autocast(data_device(x) or self.device):
            return predictions(self(x, training=False), self.prediction_key)

    def _step_function(self, kind: str) -> Any:
        """`<kind>_step`, or with `jit_compile=True` a function that runs the first step eagerly
        (building losses, metrics and optimizer state) and compiles the step after it."""
        function = self._step_functions.get(kind)
        if function is None:
            function = getattr(self, f"{kind}_step")
            if self._jit_compile:
                function = self._compile_after_first_call(kind, function)
            self._step_functions[kind] = function
        return function

    def _compile_after_first_call(self, kind: str, step: Any) -> Any:
        def first_call(data: Any) -> Any:
            result = step(data)
            self._step_functions[kind] = torch.compile(step, dynamic=False)
            return result

        return first_call

    # ----------------------------------------------------------------------------- fit

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: str | int = "auto",
        callbacks: list | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
    ) -> Any:
        """Trains the model for `epochs` epochs. Returns a `History` (also `model.history`).

        Args mirror Keras: arrays / tensors / dicts / datasets / DataLoaders / generators for
        `x`; labels `y`; `validation_split` keeps the LAST fraction of the arrays for validation
        (before shuffling); `class_weight` maps class index -> weight; logged values are running
        averages over the epoch.
        """
        self._assert_compiled("fit")
        if config.max_epochs() is not None and config.max_epochs() < epochs:
            warnings.warn(f"Limiting epochs to {config.max_epochs()}", stacklevel=2)
            epochs = config.max_epochs()
        if x is None:
            raise ValueError("`x` must be provided to `fit()`.")
        check_loop_arguments(
            epochs,
            initial_epoch,
            batch_size,
            steps_per_epoch,
            validation_steps,
            validation_batch_size,
            validation_freq,
        )
        if class_weight is not None and sample_weight is not None:
            raise ValueError("Pass either `class_weight` or `sample_weight` to `fit()`, not both.")
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = split_validation(x, y, sample_weight, validation_split)
        sharded = self._start_distributed()
        device = self._training_device()
        data = make_data(
            x, y, sample_weight, batch_size, steps_per_epoch, shuffle, device, keep_position=True
        )
        if class_weight is not None:
            data = WithClassWeights(data, class_weight)
        validation = self._validation_source(
            validation_data, validation_batch_size or batch_size, validation_steps, device
        )
        if sharded:
            data = distributed.ShardedData(data, set_loss_scale=self._set_shard_loss_scale)
            validation = validation and distributed.ShardedData(validation)
            self.__dict__["_ddp_wanted"] = True
            if getattr(self, "built", True):
                self._make_ddp()
        verbose = 1 if verbose == "auto" else verbose
        callbacks = self._callback_list(callbacks, verbose, epochs, data.num_batches, add_history=True)
        self.__dict__["_fit_data"] = data
        self.stop_training = False
        grad_enabled, modes = torch.is_grad_enabled(), self._module_modes()
        callbacks.on_train_begin()
        # A callback that restored a checkpoint (BackupAndRestore) sets where to resume, as in Keras.
        initial_epoch = self.__dict__.pop("_initial_epoch", None) or initial_epoch
        skip_steps = self.__dict__.pop("_initial_step", 0)
        position = self.__dict__.pop("_initial_data_position", None)
        if position is not None:  # epochs that continue a pass (`steps_per_epoch`): redraw it
            _source_of(data).seek(*position)
        epoch_logs: dict[str, Any] = {}
        try:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                self.train()
                torch.set_grad_enabled(True)
                with distributed.joined(self.__dict__.get("_ddp")):
                    logs, steps = self._run_epoch(data, callbacks, "train", skip_steps)
                skip_steps = 0
                if steps == 0:
                    warn_out_of_data(epoch)
                    break
                epoch_logs = self._read_results(lambda logs=logs: pythonify_logs(self._epoch_results(logs)))
                if validation is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_source(validation, callbacks)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                callbacks.on_epoch_end(epoch, epoch_logs)
                data.on_epoch_end()
                if self.stop_training:
                    break
        finally:
            self._restore_module_modes(modes)
            torch.set_grad_enabled(grad_enabled)
            for name in ("_ddp", "_ddp_wanted", "_shard_loss_scale", "_fit_data"):
                self.__dict__.pop(name, None)
        if hasattr(self.optimizer, "finalize_variable_values") and getattr(self.optimizer, "built", False):
            self.optimizer.finalize_variable_values(self.trainable_weights)  # EMA weights, as Keras
        callbacks.on_train_end(logs=epoch_logs)
        return self.history

    def _data_position(self) -> tuple[torch.Tensor | None, int]:
        """Where `fit`'s training data stands (see `DataSource.position`), for backups."""
        data = self.__dict__.get("_fit_data")
        return (None, 0) if data is None else _source_of(data).position()

    def _module_modes(self) -> list[tuple[torch.nn.Module, bool]]:
        return [(module, module.training) for module in self.modules()]

    def _restore_module_modes(self, modes: list[tuple[torch.nn.Module, bool]]) -> None:
        """Puts every submodule back in the train / eval mode it had (fit leaves the model as found)."""
        for module, training in modes:
            module.training = training

    def _run_epoch(self, data: Any, callbacks: Any, mode: str, skip: int = 0) -> tuple[Any, int]:
        """Runs the `mode` step over one pass of `data`; returns the last logs and step count.
        The first `skip` batches are drawn but not run (resuming mid-epoch)."""
        every = self._steps_per_execution
        logs: Any = {}
        steps = 0
        last = (data.num_batches or 0) - 1
        begin = callbacks.batch_hook(f"on_{mode}_batch_begin")
        end = callbacks.batch_hook(f"on_{mode}_batch_end")
        ended = True
        labels_checked = self._labels_checked_at_once(data)
        grouped = (
            GroupedTestSteps.for_run(self, callbacks, in_memory=isinstance(_source_of(data), ArrayData))
            if mode == "test"
            else None
        )
        for step, batch in enumerate(data):
            if step < skip:
                steps += 1
                if step == skip - 1:
                    self._build_metrics_on(batch)
                continue
            if begin is not None and step % every == 0:
                begin(step)
            if not labels_checked:
                batch = self._checked_labels(batch, step)
            logs = self._step_function(mode)(batch) if grouped is None else grouped(batch)
            steps += 1
            ended = (step + 1) % every == 0 or step == last
            if ended and end is not None:
                end(step, logs if isinstance(logs, MutableMapping) else {"outputs": logs})
            if mode == "train" and self.stop_training:
                break
        if grouped is not None:
            grouped.flush()
        if not ended and end is not None:  # a source shorter than announced ended mid-group
            end(steps - 1, logs if isinstance(logs, MutableMapping) else {"outputs": logs})
        if self._compile_loss is not None:
            self._compile_loss.raise_for_bad_labels()  # labels kept on the device: one read per epoch
        return logs, steps

    def _checked_labels(self, batch: Any, step: int) -> Any:
        """The batch with its sparse labels range-checked (see `CompileLoss.check_labels`)."""
        loss = self._compile_loss
        if loss is None:
            return batch
        if not loss.built:
            loss.batch_index = step  # the loss checks the batch it is built on
            return batch
        if not loss.sparse_outputs:
            return batch
        x, y, sample_weight = unpack_x_y_sample_weight(batch)
        checked = loss.check_labels(y, step)
        return batch if checked is y else pack_x_y_sample_weight(x, checked, sample_weight)

    def _labels_checked_at_once(self, data: Any) -> bool:
        """Whether the sparse labels of all of `data` pass the range check at once (in-memory
        arrays, where the check reads back at no cost; once per data source), so that no batch
        needs it. With a bad label the batches are checked, so the error names the batch."""
        loss = self._compile_loss
        if loss is None or not loss.built or not loss.sparse_outputs:
            return False
        source = _source_of(data)
        if not isinstance(source, ArrayData):
            return False
        if source.__dict__.get("_labels_checked_by") is loss:
            return True
        labels = source.data[1]
        leaves = flatten(labels)
        if not leaves or not all(
            isinstance(leaf, torch.Tensor) and leaf.device.type in loss.eager_label_devices for leaf in leaves
        ):
            return False
        try:
            loss.check_labels(labels, None)
        except ValueError:
            return False
        source.__dict__["_labels_checked_by"] = loss
        return True

    def _build_metrics_on(self, batch: Any) -> None:
        """Resuming mid-epoch: builds the compiled loss and metrics from a skipped batch (their
        state untouched) so that a callback can put the cut epoch's accumulators back when the
        first resumed batch begins (`BackupAndRestore`)."""
        x, y, _ = unpack_x_y_sample_weight(batch)
        loss, metrics = self._compile_loss, self._compile_metrics
        if (loss is None or loss.built) and (metrics is None or metrics.built):
            return
        with torch.no_grad(), self._autocast(data_device(x) or self.device):
            y_pred = predictions(self(x, training=False), self.prediction_key)
        y = labels_from_inputs(x, y_pred) if y is None else y
        if y is None:
            return
        if loss is not None and not loss.built:
            loss.build(y, y_pred)
            if len(loss.losses) > 1 and not self._output_loss_trackers:
                self._output_loss_trackers = [
                    metrics_module.Mean(name=f"{n}_loss") for n in loss.output_names
                ]
        if metrics is not None and not metrics.built:
            metrics.build(y, y_pred, output_names_for(metrics.output_names, y_pred))

    def _epoch_results(self, logs: Any) -> dict[str, Any]:
        """Keras's rule: the metrics' results when the step returned them, else the step's logs."""
        results = self.get_metrics_result()
        if isinstance(logs, MutableMapping) and set(logs) - set(results):
            return logs
        return results

    def _callback_list(
        self, callbacks: Any, verbose: int, epochs: int, steps: int | None, add_history: bool
    ) -> Any:
        if isinstance(callbacks, CallbackList):
            return callbacks
        if not distributed.is_chief():  # only rank 0 prints and writes
            verbose, callbacks = 0, distributed.callbacks_for_other_ranks(callbacks, self)
        return CallbackList(
            callbacks,
            add_history=add_history,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=steps,
        )

    def _validation_source(
        self, validation_data: Any, batch_size: int | None, steps: int | None, device: torch.device
    ) -> Any:
        if validation_data is None:
            return None
        if isinstance(validation_data, (tuple, list)) and not 1 <= len(validation_data) <= 3:
            raise ValueError(
                "`validation_data` must be `(x_val, y_val)`, `(x_val, y_val, sample_weight_val)` or a "
                f"dataset / generator. Received: a {type(validation_data).__name__} of "
                f"{len(validation_data)} elements."
            )
        if (
            isinstance(validation_data, (tuple, list))
            and len(validation_data) in (1, 2, 3)
            and not hasattr(validation_data, "__next__")
            and looks_like_arrays(validation_data)
        ):
            x, y, sample_weight = unpack_x_y_sample_weight(tuple(validation_data))
            return make_data(x, y, sample_weight, batch_size, steps, False, device)
        return make_data(validation_data, batch_size=batch_size, steps=steps, device=device)

    # ------------------------------------------------------------------------ evaluate

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: str | int = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: list | None = None,
        return_dict: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Returns the loss and metrics on the given data: a scalar, a list, or a dict."""
        self._assert_compiled("evaluate")
        if kwargs:
            raise ValueError(f"Invalid keyword arguments for `evaluate()`: {sorted(kwargs)}")
        sharded = self._start_distributed()
        device = self._training_device()
        data = make_data(x, y, sample_weight, batch_size, steps, False, device)
        if sharded:
            data = distributed.ShardedData(data)
        verbose = 1 if verbose == "auto" else verbose
        callback_list = self._callback_list(callbacks, verbose, 1, data.num_batches, add_history=False)
        logs = self._evaluate_source(data, callback_list)
        return logs if return_dict else self._flatten_in_order(logs)

    def _evaluate_source(self, data: Any, callbacks: Any) -> dict[str, Any]:
        was_training, grad_enabled = self.training, torch.is_grad_enabled()
        self.eval()
        torch.set_grad_enabled(False)
        try:
            self.reset_metrics()
            callbacks.on_test_begin()
            logs, _ = self._run_epoch(data, callbacks, "test")
            logs = self._read_results(lambda logs=logs: pythonify_logs(self._epoch_results(logs)))
        finally:
            self.train(was_training)
            torch.set_grad_enabled(grad_enabled)
        callbacks.on_test_end(logs)
        return logs

    def _flatten_in_order(self, logs: dict[str, Any]) -> Any:
        # Keras's order: the loss, per-output losses, then (single output) the compiled metrics
        # as listed; anything else sorted by name.
        trackers = [self._loss_tracker] if self._loss_tracker is not None else []
        names = [tracker.name for tracker in trackers + self._output_loss_trackers]
        if self._compile_metrics is not None and len(self._compile_metrics.output_names) == 1:
            names += [m.name for m in self._compile_metrics.metrics]
        values = [logs[name] for name in names if name in logs]
        values += [logs[key] for key in sorted(logs) if key not in names]
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------------------- predict

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: str | int = "auto",
        steps: int | None = None,
        callbacks: list | None = None,
    ) -> Any:
        """Returns the model's outputs for `x` as NumPy arrays (same nesting as the outputs).

        Under torchrun each rank predicts its share and every rank returns the whole result,
        in order."""
        sharded = self._start_distributed()
        device = self._training_device()
        data = make_data(
            x, batch_size=batch_size, steps=steps, shuffle=False, device=device, allow_empty=True
        )
        if sharded:
            data = distributed.ShardedData(data, keep_empty=True)
        verbose = 1 if verbose == "auto" else verbose
        callback_list = self._callback_list(callbacks, verbose, 1, data.num_batches, add_history=False)
        was_training, grad_enabled = self.training, torch.is_grad_enabled()
        self.eval()
        torch.set_grad_enabled(False)
        outputs = []
        try:
            callback_list.on_predict_begin()
            begin = callback_list.batch_hook("on_predict_batch_begin")
            end = callback_list.batch_hook("on_predict_batch_end")
            for step, batch in enumerate(data):
                if begin is not None:
                    begin(step)
                batch_outputs = self._step_function("predict")(batch)
                outputs.append(batch_outputs)
                if end is not None:
                    end(step, {"outputs": batch_outputs})
        finally:
            self.train(was_training)
            torch.set_grad_enabled(grad_enabled)
        callback_list.on_predict_end()
        if sharded:
            outputs = distributed.gather_predictions(data.pieces, outputs)
        if not outputs:
            raise ValueError("`predict()` received no data: `x` produced no batches.")
        if isinstance(outputs[0], torch.Tensor):  # one output: no structure to walk per batch
            return to_numpy(torch.cat(outputs))
        leaves = zip(*(flatten(batch_outputs) for batch_outputs in outputs))
        joined = [torch.cat(parts) if isinstance(parts[0], torch.Tensor) else parts[0] for parts in leaves]
        return to_numpy(pack_like(outputs[0], joined))

    # --------------------------------------------------------------------- on one batch

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        return_dict: bool = False,
    ) -> Any:
        """Runs one training step on one batch; returns that batch's own loss and metrics."""
        self._assert_compiled("train_on_batch")
        device = self._training_device()
        batch = single_batch(x, y, sample_weight, device)
        if class_weight is not None:
            x, y, _ = unpack_x_y_sample_weight(batch)
            batch = (x, y, class_weights_to_sample_weights(y, class_weight))
        self.reset_metrics()
        modes = self._module_modes()
        self.train()
        try:
            with torch.enable_grad():
                logs = self._step_function("train")(self._checked_labels(batch, 0))
        finally:
            self._restore_module_modes(modes)
        if self._compile_loss is not None:
            self._compile_loss.raise_for_bad_labels()
        logs = pythonify_logs(self._epoch_results(logs))
        return logs if return_dict else self._flatten_in_order(logs)

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """Evaluates one batch; returns its loss and metrics."""
        self._assert_compiled("test_on_batch")
        batch = single_batch(x, y, sample_weight, self._training_device())
        self.reset_metrics()
        with torch.no_grad():
            logs = self._step_function("test")(self._checked_labels(batch, 0))
        if self._compile_loss is not None:
            self._compile_loss.raise_for_bad_labels()
        logs = pythonify_logs(self._epoch_results(logs))
        return logs if return_dict else self._flatten_in_order(logs)

    def predict_on_batch(self, x: Any) -> Any:
        """Returns the outputs for one batch, as NumPy arrays."""
        batch = single_batch(x, None, None, self._training_device())
        with torch.no_grad():
            return to_numpy(self._step_function("predict")(batch))


def _source_of(data: Any) -> Any:
    """The `DataSource` inside `fit`'s wrappers (class weights, sharding)."""
    while not isinstance(data, DataSource) and hasattr(data, "data"):
        data = data.data
    return data
