"""Models that return their own loss: reading `loss` and the predictions from their outputs.

A model (typically a wrapped torch module, HuggingFace style) may return a dict, a namedtuple or
a dataclass with a `loss` entry. When `compile` has no loss (or no labels `y` are given), that
entry is the loss `fit` minimizes. The compiled loss, metrics and `predict` see the model's
*predictions*: the entry named by `model.prediction_key` when set, else `"logits"` when present,
else the only other entry, else a dict of the other entries (the same rule picks from any
dataclass output). Metrics read their labels from `y`, or from the batch's `"labels"` entry when
`x` is a dict. Other outputs are used as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["labels_from_inputs", "predictions", "returned_loss"]


def _fields(output: Any) -> dict[str, Any] | None:
    """The entries of a dataclass, dict or namedtuple output, else `None`."""
    if isinstance(output, torch.Tensor):
        return None  # the common case, first
    if dataclasses.is_dataclass(output) and not isinstance(output, type):
        return {field.name: getattr(output, field.name) for field in dataclasses.fields(output)}
    if isinstance(output, Mapping):
        return dict(output)
    if isinstance(output, tuple) and hasattr(output, "_asdict"):
        return output._asdict()
    return None


def returned_loss(output: Any) -> torch.Tensor | None:
    """The output's `loss` entry (a scalar: a per-sample loss is averaged), or `None`."""
    fields = _fields(output)
    loss = None if fields is None else fields.get("loss")
    if isinstance(loss, torch.Tensor) and loss.ndim:
        loss = loss.mean()
    return loss


def labels_from_inputs(x: Any, output: Any) -> Any:
    """For a model that returned its loss from a dict batch, the batch's `"labels"` (for metrics)."""
    if isinstance(x, Mapping) and returned_loss(output) is not None:
        return x.get("labels")
    return None


def predictions(output: Any, key: str | None = None) -> Any:
    """What the compiled loss, metrics and `predict` see of an output.

    Raises:
        ValueError: when `key` names no entry of the output.
    """
    fields = _fields(output)
    if fields is None:
        return output
    if key is not None:
        if key not in fields:
            raise ValueError(
                f"`prediction_key` must name an entry of the model's output. Received: "
                f"prediction_key={key!r}; the output has {sorted(fields)}."
            )
        return fields[key]
    if "loss" not in fields and isinstance(output, (Mapping, tuple)):
        return output  # a multi-output model's dict or tuple
    if fields.get("logits") is not None:
        return fields["logits"]
    others = {name: value for name, value in fields.items() if name != "loss" and value is not None}
    if len(others) == 1:
        return next(iter(others.values()))
    return others
