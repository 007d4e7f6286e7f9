"""Test batches whose loss and metric updates run once per group, on the batches' concatenation.

A test step is a forward pass followed by small bookkeeping ops: the loss, the loss tracker and
each metric. On a small model those ops, and the Python around them, cost more than the forward
pass. When nothing can tell the difference, `evaluate` runs each batch's forward pass as it
comes, keeps its labels and predictions, and updates the loss tracker and the metrics once for a
group of batches, on their concatenation. The results are the same numbers up to the order of
float additions:
- a built-in loss reduced with `"sum_over_batch_size"` is a mean over the batch's loss elements,
  and the tracker weights it by the batch size, so the group's loss times the group size is the
  sum of the batches' losses times their sizes;
- the built-in metrics are streaming sums (of per-sample values, or of confusion counts), so one
  update with the concatenation adds what the batches' updates add. Per sample, that is, when the
  functions reduce the last axis and that axis is not the batch's: with one value per sample
  (outputs of rank 1) a mean or a correlation is per batch, and batches are not grouped.

`GroupedTestSteps.for_run` decides once per run whether groups may be used: the model's
`test_step`, `compute_loss` and `compute_metrics` are `Trainer`'s own, steps are not compiled,
every compiled loss and metric is a built-in of torchkeras (not a user function, whose value may
depend on the batch), no weight has a regularizer, and no callback reads a batch's logs other
than through the logs object (the progress bar). Each batch is checked again: one tensor output
of rank 2 or more without a mask, labels (and sample weights) as tensors, no loss added by the
call; a batch that does not join the group ends it and is updated on its own. The logs a grouped
step returns update the group first when read, so the progress bar shows the same values as
without groups.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import torch

from torchkeras.callbacks.callback_list import CallbackList
from torchkeras.callbacks.progbar_logger import ProgbarLogger
from torchkeras.layers.call_context import call_context
from torchkeras.losses.similarity import circle
from torchkeras.trainers.data import data_device, unpack_x_y_sample_weight

__all__ = ["GroupedTestSteps"]

# A group holds at most this many label, prediction and weight elements (a batch alone may hold
# more) and this many batches.
MAX_GROUP_ELEMENTS = 1 << 20
MAX_GROUP_BATCHES = 256

_AVERAGING_REDUCTIONS = ("sum_over_batch_size", "mean")


def _builtin(obj: Any, package: str) -> bool:
    return type(obj).__module__.startswith(package)


def _builtin_function(fn: Any) -> bool:
    return fn is None or str(getattr(fn, "__module__", None)).startswith("torchkeras.")


def _reduces_last_axis(obj: Any) -> bool:
    """Whether a built-in loss or metric function reduces the last axis only (an `axis` set to
    another, e.g. the batch axis, mixes samples)."""
    return getattr(obj, "_fn_kwargs", {}).get("axis", -1) == -1


# A built-in loss that compares the samples of a batch with each other (the others are computed
# per sample, or pool the batch only through their `axis`, which `_reduces_last_axis` checks).
_BATCH_COUPLED_LOSSES = (circle,)


def _groupable_loss(loss: Any) -> bool:
    """A built-in loss whose value on a concatenation is the size-weighted mean of its values on
    the parts: computed per sample, averaged over the batch, no class ignored (which averages
    over the other entries only)."""
    fn = getattr(loss, "fn", None)
    return (
        _builtin(loss, "torchkeras.losses")
        and _builtin_function(fn)
        and fn not in _BATCH_COUPLED_LOSSES
        and _reduces_last_axis(loss)
        and getattr(loss, "reduction", None) in _AVERAGING_REDUCTIONS
        and getattr(loss, "ignore_class", None) is None
    )


def _groupable_metric(metric: Any) -> bool:
    return (
        _builtin(metric, "torchkeras.metrics")
        and _builtin_function(getattr(metric, "_fn", None))
        and _reduces_last_axis(metric)
    )


class GroupedTestSteps:
    """Runs test steps, grouping the loss and metric updates of consecutive batches.

    Call it with each batch as `test_step`; call `flush()` when the run ends (and before the
    metrics are read other than through the returned logs).

    Args:
        model: the model being evaluated.
        copy_labels: keep copies of the labels and sample weights (not needed for slices of
            in-memory arrays, which nothing writes during the run).
        copy_predictions: keep copies of the predictions (not needed for the outputs of
            torchkeras layers computed from in-memory arrays: new tensors, or views of them).
    """

    def __init__(self, model: Any, copy_labels: bool = True, copy_predictions: bool = True):
        self.model = model
        # Kept until the group is updated: labels, predictions and sample weights. A data
        # pipeline or a module may reuse a tensor's memory for its next batch (a refilled batch
        # buffer, a static output, CUDA graphs), so those are kept as copies unless known not to.
        self._copies = (copy_labels, copy_predictions)  # sample weights: as the labels
        self._kept: list[list[torch.Tensor]] = [[], [], []]
        self._elements = 0
        self._signature: tuple | None = None
        self._groupable: bool | None = None  # whether the built loss and metrics allow groups

    @classmethod
    def for_run(cls, model: Any, callbacks: Any, in_memory: bool = False) -> GroupedTestSteps | None:
        """A grouping runner for one evaluation run of `model` (on in-memory arrays when
        `in_memory`), or `None` when grouping could change what the run computes or what a
        callback sees."""
        from torchkeras.trainers.trainer import Trainer

        kind = type(model)
        if (
            model._jit_compile
            or kind.test_step is not Trainer.test_step
            or kind.compute_loss is not Trainer.compute_loss
            or kind.compute_metrics is not Trainer.compute_metrics
            or model._has_weight_regularizers()
            or model.prediction_key is not None
            or (model._compile_loss is None and model._compile_metrics is None)
        ):
            return None
        hooks = ("on_test_batch_begin", "on_test_batch_end")
        if not isinstance(callbacks, CallbackList) or any(
            getattr(type(callbacks), hook) is not getattr(CallbackList, hook) for hook in hooks
        ):
            return None
        for hook in hooks:
            for callback in callbacks._listeners[hook]:
                # The progress bar reads the logs it is given, and only when it redraws.
                if not isinstance(callback, ProgbarLogger) or getattr(type(callback), hook) is not getattr(
                    ProgbarLogger, hook
                ):
                    return None
        from torchkeras.layers.core.lambda_layer import Lambda

        own_layers = all(
            (type(module).__module__.startswith("torchkeras.") and not isinstance(module, Lambda))
            or isinstance(module, (torch.nn.ModuleList, torch.nn.ModuleDict))  # storage, no forward
            for module in model.modules()
        )
        # Outputs may be views of the inputs (`Reshape`, `Identity`): copied with them.
        return cls(model, copy_labels=not in_memory, copy_predictions=not (own_layers and in_memory))

    def _built_groupable(self) -> bool | None:
        """Whether the compiled loss and metrics allow groups; `None` until they are built (on
        the first batch, which runs as an ordinary step)."""
        if self._groupable is None:
            loss, metrics = self.model._compile_loss, self.model._compile_metrics
            if (loss is not None and not loss.built) or (metrics is not None and not metrics.built):
                return None
            self._groupable = (loss is None or all(_groupable_loss(item) for item in loss.losses)) and (
                metrics is None or all(_groupable_metric(metric) for metric in metrics.metrics)
            )
        return self._groupable

    def __call__(self, data: Any) -> Any:
        model = self.model
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        if (
            not self._built_groupable()
            or not isinstance(y, torch.Tensor)
            or not (sample_weight is None or isinstance(sample_weight, torch.Tensor))
        ):
            self.flush()
            return model.test_step(data)
        losses_added = call_context.losses_added
        with model._autocast(data_device(x) or model.device):
            y_pred = model(x, training=False)
        if call_context.losses_added != losses_added:  # this call added losses: they count
            self.flush()
            return model._update_test_state(x, y, y_pred, sample_weight)
        signature = self._signature_of(y, y_pred, sample_weight)
        if signature is None:
            self.flush()
            return model._update_test_state(x, y, y_pred, sample_weight)
        elements = y.numel() + y_pred.numel() + (0 if sample_weight is None else sample_weight.numel())
        if signature != self._signature or (
            self._elements and self._elements + elements > MAX_GROUP_ELEMENTS
        ):
            self.flush()
            self._signature = signature
        copy_labels, copy_predictions = self._copies
        labels, predictions, weights = self._kept
        labels.append(y.clone() if copy_labels else y)
        predictions.append(y_pred.clone() if copy_predictions else y_pred)
        if sample_weight is not None:
            weights.append(sample_weight.clone() if copy_labels else sample_weight)
        self._elements += elements
        if len(labels) >= MAX_GROUP_BATCHES:
            self.flush()
        return _GroupLogs(self)

    @staticmethod
    def _signature_of(y: torch.Tensor, y_pred: Any, sample_weight: torch.Tensor | None) -> tuple | None:
        """What batches of one group share (so they concatenate), or `None` for a batch that
        cannot join a group: a non-tensor output, one value per sample (the built-in functions
        reduce the last axis, which would then be the batch: a per-batch value), a mask, no
        samples."""
        if (
            not isinstance(y_pred, torch.Tensor)
            or y_pred.ndim < 2  # per-sample functions reduce the last axis: here, the batch
            or y.ndim == 0
            or y.shape[0] != y_pred.shape[0]
            or y.shape[0] == 0
            or getattr(y_pred, "_keras_mask", None) is not None
        ):
            return None
        weights = None
        if sample_weight is not None:
            if sample_weight.ndim == 0 or sample_weight.shape[0] != y.shape[0]:
                return None
            weights = (sample_weight.dtype, sample_weight.device, sample_weight.shape[1:])
        return (y.dtype, y.device, y.shape[1:], y_pred.dtype, y_pred.device, y_pred.shape[1:], weights)

    def flush(self) -> None:
        """Updates the loss tracker and the metrics with the kept batches, as one batch."""
        if not self._kept[0]:
            return
        kept, self._kept, self._elements = self._kept, [[], [], []], 0
        y, y_pred, weights = (
            parts[0] if len(parts) == 1 else torch.cat(parts) if parts else None for parts in kept
        )
        self.model._update_test_state(None, y, y_pred, weights, size=y.shape[0])


class _GroupLogs(MutableMapping):
    """The logs of a grouped step: the model's metric results, taken when first read (after the
    group so far is updated), as the logs of an ungrouped step would hold them."""

    def __init__(self, steps: GroupedTestSteps):
        self._steps: GroupedTestSteps | None = steps
        self._view: MutableMapping | None = None

    def _results(self) -> MutableMapping:
        if self._view is None:
            steps, self._steps = self._steps, None
            steps.flush()
            self._view = steps.model.get_metrics_result()
        return self._view

    def __getitem__(self, name: str) -> Any:
        return self._results()[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self._results()[name] = value

    def __delitem__(self, name: str) -> None:
        del self._results()[name]

    def _names(self) -> MutableMapping:
        """The results by name, for their names only (naming them computes nothing)."""
        return self._view if self._view is not None else self._steps.model.get_metrics_result()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())
