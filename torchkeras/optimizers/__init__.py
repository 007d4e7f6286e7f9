"""Optimizers, as in `keras.optimizers`: `get` / `serialize` / `deserialize` and the built-in classes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from torchkeras.optimizers import schedules
from torchkeras.optimizers.adadelta import Adadelta
from torchkeras.optimizers.adafactor import Adafactor
from torchkeras.optimizers.adagrad import Adagrad
from torchkeras.optimizers.adam import Adam
from torchkeras.optimizers.adamax import Adamax
from torchkeras.optimizers.adamw import AdamW
from torchkeras.optimizers.ftrl import Ftrl
from torchkeras.optimizers.lamb import Lamb
from torchkeras.optimizers.lion import Lion
from torchkeras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from torchkeras.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from torchkeras.optimizers.muon import Muon
from torchkeras.optimizers.nadam import Nadam
from torchkeras.optimizers.optimizer import Optimizer
from torchkeras.optimizers.rmsprop import RMSprop
from torchkeras.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from torchkeras.optimizers.sgd import SGD
from torchkeras.utils.registry import ObjectTable

__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "LossScaleOptimizer",
    "MultiOptimizer",
    "Muon",
    "Nadam",
    "Optimizer",
    "OptimizerMap",
    "RMSprop",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]

ALL_OBJECTS = (
    Optimizer,
    Adam,
    SGD,
    RMSprop,
    Adadelta,
    AdamW,
    Adagrad,
    Adamax,
    Adafactor,
    Nadam,
    Ftrl,
    Lion,
    Lamb,
    LossScaleOptimizer,
    Muon,
    MultiOptimizer,
    ScheduleFreeAdamW,
)
# Keras resolves optimizer names case-insensitively: "adam", "Adam", "RMSprop", "rmsprop".
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}


_TABLE = ObjectTable(ALL_OBJECTS_DICT, "keras.optimizers", "optimizer", case_insensitive=True)


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Returns Keras's serialized form: `{"module", "class_name", "config", "registered_name"}`."""
    return _TABLE.serialize(optimizer)


def deserialize(
    config: Mapping[str, Any] | str, custom_objects: Mapping[str, Any] | None = None
) -> Optimizer:
    """Creates an optimizer from `serialize`'s output or a name; names resolve through our tables
    and the registry only.

    Raises:
        ValueError: for an unknown name (with close suggestions).
    """
    return _TABLE.deserialize(config, custom_objects)


def get(identifier: Any) -> torch.optim.Optimizer | None:
    """Returns an optimizer from a name (`"adam"`), a config dict, or an instance.

    Instances of `torch.optim.Optimizer` (ours or torch's own) are returned unchanged.

    Raises:
        ValueError: if `identifier` cannot be interpreted.
    """
    if identifier is None:
        return None
    if isinstance(identifier, torch.optim.Optimizer):
        return identifier
    if isinstance(identifier, (str, Mapping)):
        optimizer = deserialize(identifier)
        if isinstance(optimizer, torch.optim.Optimizer):
            return optimizer
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
