"""What `compile(loss=..., metrics=...)` turns into: losses and metrics matched to outputs.

Specs may be a single object, a list (one per output) or a dict (keyed by output name), as in
Keras. Objects are resolved on the first batch, when the shapes of labels and predictions are
known (the `"accuracy"` and `"crossentropy"` strings pick their variant from them).
"""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import losses as losses_module
from torchkeras import metrics as metrics_module
from torchkeras.losses.torch_loss import TorchLoss, is_torch_loss
from torchkeras.utils.nest import flatten

__all__ = ["CompileLoss", "CompileMetrics", "declared_output_names", "match_outputs", "output_names_for"]


def _binary_or_sparse(y_true: torch.Tensor, y_pred: torch.Tensor) -> tuple[bool, bool]:
    """Keras's rule: a single output unit is binary; labels of lower rank (or width 1) are sparse."""
    true_rank, pred_rank = y_true.ndim, y_pred.ndim
    true_last = y_true.shape[-1] if true_rank else 1
    pred_last = y_pred.shape[-1] if pred_rank else 1
    is_binary = pred_last == 1
    is_sparse = true_rank < pred_rank or (true_last == 1 and pred_last > 1)
    return is_binary, is_sparse


def declared_output_names(model: Any) -> list[str]:
    """The output names a model declares (`model.output_names`), or `["output"]` when it has none."""
    try:
        names = getattr(model, "output_names", None)
        return list(names) if names else ["output"]
    except (TypeError, AttributeError):
        return ["output"]


def output_names_for(declared: list[str], y_pred: Any) -> list[str]:
    """The names of the outputs in `y_pred`, the one rule for losses and metrics: a dict's keys;
    the `declared` names when they count the outputs; else `"output"` for one output and
    `"output_0"`, `"output_1"`, ... for several."""
    if isinstance(y_pred, dict):
        return list(y_pred)
    count = len(y_pred) if isinstance(y_pred, (list, tuple)) else 1
    if len(declared) == count:
        return list(declared)
    return [f"output_{i}" for i in range(count)] if count > 1 else ["output"]


def match_outputs(spec: Any, output_names: list[str], argument: str) -> list[Any]:
    """Spreads a compile spec over the outputs: one entry per output (None where absent)."""
    count = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(
                f"`{argument}` has keys {unknown} that match no output. Output names: {output_names}."
            )
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and count > 1:
        if len(spec) != count:
            raise ValueError(
                f"`{argument}` must have one entry per output ({count}: {output_names}). "
                f"Received: {len(spec)} entries."
            )
        return list(spec)
    if isinstance(spec, (list, tuple)) and count == 1 and argument == "loss":
        if len(spec) != 1:
            raise ValueError(f"`loss` must be a single loss for a single-output model. Received: {spec!r}")
        return [spec[0]]
    return [spec] * count


def _structure_to_list(value: Any, output_names: list[str], argument: str) -> list[Any]:
    if isinstance(value, dict):
        missing = [name for name in output_names if name not in value]
        if missing and len(output_names) > 1:
            raise ValueError(f"`{argument}` is missing entries for outputs {missing}.")
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and len(output_names) > 1:
        if len(value) != len(output_names):
            raise ValueError(
                f"`{argument}` must have one entry per output ({len(output_names)}). Received: {len(value)}."
            )
        return list(value)
    if isinstance(value, (list, tuple)) and len(value) == 1 and len(output_names) == 1:
        return [value[0]]
    return [value]


def _resolve_loss(identifier: Any, y_true: torch.Tensor, y_pred: torch.Tensor) -> Any:
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = _binary_or_sparse(y_true, y_pred)
        if is_binary:
            return losses_module.BinaryCrossentropy()
        return (
            losses_module.SparseCategoricalCrossentropy()
            if is_sparse
            else losses_module.CategoricalCrossentropy()
        )
    if is_torch_loss(identifier):
        return TorchLoss(identifier)
    loss = losses_module.get(identifier)
    if isinstance(loss, losses_module.Loss):
        return loss
    if callable(loss):
        return losses_module.LossFunctionWrapper(loss, name=getattr(loss, "__name__", None))
    raise ValueError(f"Could not interpret loss: {identifier!r}")


def _check_loss(identifier: Any) -> None:
    if identifier is None or (isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce")):
        return
    if is_torch_loss(identifier):
        TorchLoss(identifier)  # raises for losses that cannot be compiled
        return
    loss = losses_module.get(identifier)
    if not callable(loss):
        raise ValueError(f"Could not interpret loss: {identifier!r}")


def _is_sparse_loss(loss: Any) -> bool:
    return (
        isinstance(loss, losses_module.SparseCategoricalCrossentropy)
        or getattr(loss, "fn", None) is losses_module.sparse_categorical_crossentropy
    )


def _invalid_labels(labels: torch.Tensor, num_classes: int, ignore_class: int | None) -> torch.Tensor:
    """Where labels are out of `[0, num_classes)` or NaN (the ignored class excepted)."""
    invalid = (labels < 0) | (labels >= num_classes)
    if labels.is_floating_point():
        invalid |= torch.isnan(labels)
    if ignore_class is not None:
        invalid &= labels != ignore_class
    return invalid


def _labels_in_range(labels: torch.Tensor, num_classes: int) -> bool:
    """Whether every label lies in `[0, num_classes)` (NaN fails), read from the smallest and
    largest label: a quick pass for valid batches (any failure gets the full check)."""
    if labels.dtype == torch.bool or labels.is_complex():
        return False
    low, high = torch.aminmax(labels.detach())
    low, high = low.item(), high.item()
    return low >= 0 and high < num_classes  # False for NaN


def _label_error(output: str, num_classes: int, value: float, batch: int | None) -> ValueError:
    where = f" in batch {batch}" if batch is not None else ""
    shown = "nan" if value != value else f"{value:g}"
    return ValueError(
        f"Sparse labels must be integers in [0, {num_classes}) for output '{output}' ({num_classes} "
        f"classes). Received: label {shown}{where}."
    )


class CompileLoss:
    """The compiled loss: per-output losses, weighted and summed.

    Sparse labels on `eager_label_devices` are range-checked at once; elsewhere through a device
    flag (see `check_labels`).

    Args:
        loss: a loss spec (object, list or dict).
        loss_weights: optional scalar weights (list or dict), one per output.
        output_names: the model's output names.
    """

    eager_label_devices = ("cpu",)  # where reading a label check costs no device sync

    def __init__(self, loss: Any, loss_weights: Any = None, output_names: list[str] | None = None):
        self.spec = loss
        self.loss_weights = loss_weights
        self.output_names = output_names or ["output"]
        self.losses: list[Any] | None = None
        self.weights: list[float] = []
        self.built = False
        # (output index, number of classes, ignore_class) of each output with a sparse loss.
        self.sparse_outputs: list[tuple[int, int, int | None]] = []
        self.batch_index: int | None = None  # named by the check made at build
        self._label_flag: torch.Tensor | None = None  # on CUDA: [found, label, batch] of a bad label
        for identifier in flatten(loss):
            _check_loss(identifier)  # bad specs fail at compile time, not in fit

    def build(self, y_true: Any, y_pred: Any) -> None:
        self.output_names = output_names_for(self.output_names, y_pred)
        specs = match_outputs(self.spec, self.output_names, "loss")
        trues = _structure_to_list(y_true, self.output_names, "y")
        preds = _structure_to_list(y_pred, self.output_names, "y_pred")
        self.losses = [_resolve_loss(s, t, p) for s, t, p in zip(specs, trues, preds)]
        self.sparse_outputs = [
            (index, p.shape[-1], getattr(loss, "ignore_class", None))
            for index, (loss, p) in enumerate(zip(self.losses, preds))
            if _is_sparse_loss(loss) and isinstance(p, torch.Tensor) and p.ndim
        ]
        if self.loss_weights is None:
            self.weights = [1.0] * len(self.output_names)
        elif isinstance(self.loss_weights, (int, float)):
            self.weights = [float(self.loss_weights)] * len(self.output_names)
        else:
            self.weights = [
                1.0 if w is None else float(w)
                for w in match_outputs(self.loss_weights, self.output_names, "loss_weights")
            ]
        self.built = True

    def check_labels(self, y_true: Any, batch: int | None) -> Any:
        """Range-checks the sparse labels of a batch (every batch; `batch` names it in errors).

        Labels on the CPU are checked at once (`ValueError`). Elsewhere nothing is read back: the
        first bad label is kept in a device flag (read by `raise_for_bad_labels`, with the epoch's
        logs) and bad labels are replaced by 0 (or `ignore_class`) so the loss cannot fault.
        Returns `y_true`, with that replacement where it was needed.
        """
        if not self.sparse_outputs or y_true is None:
            return y_true
        trues = _structure_to_list(y_true, self.output_names, "y")
        replaced = {}
        for index, num_classes, ignore_class in self.sparse_outputs:
            labels = trues[index]
            if not isinstance(labels, torch.Tensor) or labels.numel() == 0:
                continue
            if labels.device.type in self.eager_label_devices:
                if _labels_in_range(labels, num_classes):
                    continue  # one reduction, where the full check below costs four ops
                invalid = _invalid_labels(labels.detach(), num_classes, ignore_class)
                if bool(invalid.any()):
                    value = float(labels.detach()[invalid].reshape(-1)[0])
                    raise _label_error(self.output_names[index], num_classes, value, batch)
                continue
            invalid = _invalid_labels(labels.detach(), num_classes, ignore_class)
            flat_invalid, flat_labels = invalid.reshape(-1), labels.detach().reshape(-1)
            first = flat_invalid.to(torch.uint8).argmax()
            found = torch.stack(
                [
                    flat_invalid.any().double(),
                    flat_labels[first].double(),
                    torch.full((), -1 if batch is None else batch, dtype=torch.float64, device=labels.device),
                    torch.full((), index, dtype=torch.float64, device=labels.device),
                ]
            )
            flag = self._label_flag
            self._label_flag = (
                found
                if flag is None or flag.device != found.device
                else torch.where(flag[0] > 0, flag, found)
            )
            fill = 0 if ignore_class is None else ignore_class
            replaced[index] = torch.where(invalid, torch.full_like(labels, fill), labels)
        if not replaced:
            return y_true
        if isinstance(y_true, torch.Tensor):
            return replaced[0]
        if isinstance(y_true, dict):
            return {**y_true, **{self.output_names[i]: v for i, v in replaced.items()}}
        if isinstance(y_true, (list, tuple)) and len(y_true) == len(self.output_names):
            return type(y_true)(replaced.get(i, v) for i, v in enumerate(y_true))
        return [replaced.get(0, y_true[0])] if isinstance(y_true, list) else (replaced.get(0, y_true[0]),)

    def raise_for_bad_labels(self) -> None:
        """Raises for the first bad label that `check_labels` kept on the device (one read)."""
        flag, self._label_flag = self._label_flag, None
        if flag is None:
            return
        found, value, batch, index = flag.tolist()
        if found:
            index = int(index)
            num_classes = next(n for i, n, _ in self.sparse_outputs if i == index)
            raise _label_error(
                self.output_names[index], num_classes, value, None if batch < 0 else int(batch)
            )

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> tuple[torch.Tensor, list]:
        """Returns `(total_loss, per_output_losses)`; entries are None for outputs without loss."""
        if not self.built:
            self.build(y_true, y_pred)
            y_true = self.check_labels(y_true, self.batch_index)  # later batches: by the trainer
        losses = self.losses
        if len(losses) == 1 and isinstance(y_pred, torch.Tensor) and isinstance(y_true, torch.Tensor):
            loss = losses[0]  # the common case: one loss, tensors
            if loss is not None:
                value = loss(y_true, y_pred, sample_weight=sample_weight)
                weight = self.weights[0]
                return (value if weight == 1.0 else value * weight), [value]
        trues = _structure_to_list(y_true, self.output_names, "y")
        preds = _structure_to_list(y_pred, self.output_names, "y_pred")
        weights = (
            _structure_to_list(sample_weight, self.output_names, "sample_weight")
            if sample_weight is not None
            else [None] * len(preds)
        )
        total = None
        per_output = []
        for loss, weight, t, p, w in zip(self.losses, self.weights, trues, preds, weights):
            if loss is None or t is None:
                per_output.append(None)
                continue
            value = loss(t, p, sample_weight=w)
            per_output.append(value)
            weighted = value * weight if weight != 1.0 else value
            total = weighted if total is None else total + weighted
        if total is None:
            raise ValueError(
                "The model has no loss to minimize: pass `loss=` to `compile()` and labels `y` to "
                "`fit()` (or override `compute_loss`)."
            )
        return total, per_output


def _resolve_metric(identifier: Any, y_true: torch.Tensor, y_pred: torch.Tensor) -> Any:
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        is_binary, is_sparse = _binary_or_sparse(y_true, y_pred)
        if is_binary:
            metric = metrics_module.BinaryAccuracy(name=identifier)
        elif is_sparse:
            metric = metrics_module.SparseCategoricalAccuracy(name=identifier)
        else:
            metric = metrics_module.CategoricalAccuracy(name=identifier)
        return metric
    metric = metrics_module.get(identifier)
    if not isinstance(metric, metrics_module.Metric):
        name = identifier if isinstance(identifier, str) else getattr(metric, "__name__", None)
        metric = metrics_module.MeanMetricWrapper(metric, name=name)
    elif isinstance(identifier, str):
        metric.name = identifier
    return metric


def _metric_entries(entry: Any) -> list[Any]:
    """The metric specs of one output, nested lists flattened as Keras does (`[["mae", "mse"]]`
    for a one-output model is `["mae", "mse"]`); a config dict is one spec."""
    if entry is None:
        return []
    if not isinstance(entry, (list, tuple)):
        return [entry]
    return [spec for item in entry for spec in _metric_entries(item)]


class CompileMetrics:
    """The compiled metrics, matched to outputs; results named `<output>_<metric>` when several.

    As in Keras, it is one entry of `model.metrics` (named `"compile_metrics"`), so a custom
    `train_step` that updates every metric of `self.metrics` with `(y, y_pred)` updates these too;
    it builds itself on its first update. `result()` is a dict of its metrics' results.

    Args:
        metrics: metric specs; as in Keras they ignore `sample_weight`.
        weighted_metrics: metric specs that receive `sample_weight`.
        output_names: the model's output names.
    """

    def __init__(self, metrics: Any, weighted_metrics: Any, output_names: list[str] | None = None):
        self.spec = metrics
        self.weighted_spec = weighted_metrics
        self.output_names = output_names or ["output"]
        self.per_output: list[list[Any]] = []
        self.weighted_per_output: list[list[Any]] = []
        self.built = False
        self.name = "compile_metrics"
        for identifier in flatten([metrics, weighted_metrics]):
            if identifier is None or (
                isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc")
            ):
                continue
            if not callable(metrics_module.get(identifier)):
                raise ValueError(f"Could not interpret metric: {identifier!r}")

    @property
    def metrics(self) -> list[Any]:
        return [m for group in self.per_output + self.weighted_per_output for m in group]

    @property
    def variables(self) -> list[torch.Tensor]:
        """The state of every metric it holds (empty until built), as Keras's container."""
        return [variable for metric in self.metrics for variable in metric.variables]

    def _expand(self, spec: Any, trues: list, preds: list) -> list[list[Any]]:
        if spec is None:
            return [[] for _ in self.output_names]
        if (
            isinstance(spec, (list, tuple))
            and len(self.output_names) > 1
            and all(isinstance(s, (list, tuple)) or s is None for s in spec)
        ):
            per_output = match_outputs(list(spec), self.output_names, "metrics")
        elif isinstance(spec, dict):
            per_output = match_outputs(spec, self.output_names, "metrics")
        else:
            per_output = [spec] * len(self.output_names)
        groups = []
        for index, (entry, t, p) in enumerate(zip(per_output, trues, preds)):
            entries = _metric_entries(entry)
            group = [_resolve_metric(e, t, p) for e in entries]
            if len(self.output_names) > 1:
                for metric in group:
                    metric.name = f"{self.output_names[index]}_{metric.name}"
            groups.append(group)
        return groups

    def build(self, y_true: Any, y_pred: Any, output_names: list[str]) -> None:
        self.output_names = output_names
        trues = _structure_to_list(y_true, output_names, "y")
        preds = _structure_to_list(y_pred, output_names, "y_pred")
        self.per_output = self._expand(self.spec, trues, preds)
        self.weighted_per_output = self._expand(self.weighted_spec, trues, preds)
        self.built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if y_true is None:
            return
        if not self.built:
            self.build(y_true, y_pred, output_names_for(self.output_names, y_pred))
        per_output = self.per_output
        if len(per_output) == 1 and isinstance(y_pred, torch.Tensor) and isinstance(y_true, torch.Tensor):
            for metric in per_output[0]:  # the common case: one output, tensors
                metric.update_state(y_true, y_pred)
            weighted = self.weighted_per_output[0]
            if weighted:
                for metric in weighted:
                    metric.update_state(y_true, y_pred, sample_weight=sample_weight)
            return
        trues = _structure_to_list(y_true, self.output_names, "y")
        preds = _structure_to_list(y_pred, self.output_names, "y_pred")
        weights = (
            _structure_to_list(sample_weight, self.output_names, "sample_weight")
            if sample_weight is not None
            else [None] * len(preds)
        )
        for group, t, p in zip(self.per_output, trues, preds):
            for metric in group:
                metric.update_state(t, p)
        for group, t, p, w in zip(self.weighted_per_output, trues, preds, weights):
            for metric in group:
                metric.update_state(t, p, sample_weight=w)

    def reset_state(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    def result(self) -> dict[str, Any]:
        return {metric.name: metric.result() for metric in self.metrics}
