"""What Keras's machinery needs from a plain `torch.optim` optimizer.

- The learning rate, read and written as Keras's callbacks do with `optimizer.learning_rate`:
  read from the first parameter group, written to every group scaled alike (groups keep their
  ratios).
- Its state, and the state of an `lr_scheduler` driven by a callback, as tensors plus JSON (no
  pickle), so `model.save`, `save_weights`, `ModelCheckpoint` and `BackupAndRestore` keep it.
"""

from __future__ import annotations

import json
import weakref
from typing import Any

import torch

from torchkeras.optimizers.optimizer import Optimizer

__all__ = [
    "TORCH_STATE_KEY",
    "TorchOptimizerState",
    "attach_scheduler",
    "get_learning_rate",
    "is_torch_optimizer",
    "set_learning_rate",
]

TORCH_STATE_KEY = "state_json"
_SCHEDULERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def is_torch_optimizer(optimizer: Any) -> bool:
    """Whether `optimizer` is a `torch.optim.Optimizer` that is not a Keras optimizer."""
    return isinstance(optimizer, torch.optim.Optimizer) and not isinstance(optimizer, Optimizer)


def get_learning_rate(optimizer: Any) -> float:
    """The optimizer's learning rate as a float (a torch optimizer's first parameter group's)."""
    if is_torch_optimizer(optimizer):
        return float(optimizer.param_groups[0]["lr"])
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute.')
    return float(optimizer.learning_rate)


def set_learning_rate(optimizer: Any, value: float) -> None:
    """Sets the learning rate; a torch optimizer's groups are all scaled by `value / lr` of the
    first group (every group gets `value` when that is 0)."""
    if not is_torch_optimizer(optimizer):
        optimizer.learning_rate = value
        return
    reference = float(optimizer.param_groups[0]["lr"])
    for index, group in enumerate(optimizer.param_groups):
        current = float(group["lr"])
        new = value if index == 0 or reference == 0 else current * (value / reference)
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(new)
        else:
            group["lr"] = new


def attach_scheduler(scheduler: Any) -> None:
    """Saves `scheduler`'s state with its optimizer's from now on (one scheduler per optimizer)."""
    _SCHEDULERS[scheduler.optimizer] = scheduler


class TorchOptimizerState:
    """A torch optimizer (and its attached scheduler) seen as the saving code sees optimizers:
    `get_state_tensors()` / `check_state_tensors()` / `set_state_tensors()`.

    The state is `{"tensor_<i>": tensor, ..., "state_json": <UTF-8 JSON as uint8>}`: the JSON is
    `state_dict()` with each tensor replaced by a reference to its key.

    Args:
        optimizer: the `torch.optim.Optimizer`.
    """

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self.name = type(optimizer).__name__

    @property
    def scheduler(self) -> Any:
        return _SCHEDULERS.get(self.optimizer)

    def get_state_tensors(self) -> dict[str, torch.Tensor]:
        tensors: dict[str, torch.Tensor] = {}
        scheduler = self.scheduler
        document = {
            "optimizer": _encode(self.optimizer.state_dict(), tensors, "optimizer"),
            "scheduler": None if scheduler is None else _encode(scheduler.state_dict(), tensors, "scheduler"),
        }
        text = json.dumps(document).encode("utf-8")
        tensors[TORCH_STATE_KEY] = torch.frombuffer(bytearray(text), dtype=torch.uint8)
        return tensors

    def check_state_tensors(self, entries: dict[str, Any]) -> str | None:
        """Why stored state does not fit this optimizer, or `None` when it does."""
        if TORCH_STATE_KEY not in entries:
            keys = sorted(entries)[:5]
            return f"the file's optimizer state was not saved from a torch optimizer (keys {keys})"
        try:
            document = self._read_document(entries)
            state = _decode(document["optimizer"], dict.fromkeys(_tensor_keys(document)))
        except ValueError as error:
            return f"optimizer state: {error}"
        groups = state.get("param_groups") if isinstance(state, dict) else None
        if not isinstance(groups, list) or not all(
            isinstance(g, dict) and isinstance(g.get("params"), list) for g in groups
        ):
            return "optimizer state: no list of parameter groups"
        ours = [len(group["params"]) for group in self.optimizer.param_groups]
        theirs = [len(group["params"]) for group in groups]
        if ours != theirs:
            return f"{self.name} has parameter groups of sizes {ours}, the file {theirs}"
        return None

    def set_state_tensors(self, entries: dict[str, Any]) -> None:
        """Loads the optimizer's (and its scheduler's) state; `check_state_tensors` first."""
        document = self._read_document(entries)
        values = {key: entry.read() for key, entry in entries.items() if key != TORCH_STATE_KEY}
        self.optimizer.load_state_dict(_decode(document["optimizer"], values))
        scheduler = self.scheduler
        if scheduler is not None and document["scheduler"] is not None:
            scheduler.load_state_dict(_decode(document["scheduler"], values))

    def _read_document(self, entries: dict[str, Any]) -> dict[str, Any]:
        raw = entries[TORCH_STATE_KEY].read()
        if raw.dtype != torch.uint8 or raw.ndim != 1:
            raise ValueError(f"`{TORCH_STATE_KEY}` must be a 1-D uint8 tensor")
        try:
            document = json.loads(bytes(raw.numpy()).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"`{TORCH_STATE_KEY}` is not valid JSON ({error})") from None
        if not isinstance(document, dict) or set(document) != {"optimizer", "scheduler"}:
            raise ValueError(f"`{TORCH_STATE_KEY}` must hold 'optimizer' and 'scheduler'")
        missing = [key for key in _tensor_keys(document) if key not in entries]
        if missing:
            raise ValueError(f"tensors {missing[:5]} are referenced but not stored")
        return document


def _encode(value: Any, tensors: dict[str, torch.Tensor], where: str) -> Any:
    """`value` as JSON: tensors become `{"tensor": key}`, dicts lists of `[key, value]` pairs (keys
    may be integers), tuples `{"tuple": [...]}`."""
    if isinstance(value, torch.Tensor):
        key = f"tensor_{len(tensors)}"
        tensors[key] = value.detach()
        return {"tensor": key}
    if isinstance(value, dict):
        if not all(isinstance(k, (str, int)) for k in value):
            raise ValueError(f"Cannot save {where}: its state has keys that are not strings or integers.")
        return {"dict": [[k, _encode(v, tensors, f"{where}.{k}")] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, tensors, where) for v in value]}
    if isinstance(value, list):
        return [_encode(v, tensors, where) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(
        f"Cannot save {where}: its state holds a {type(value).__name__}, which is not a tensor, "
        "number, string, list or dict (nothing is saved as pickle)."
    )


def _decode(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if isinstance(value, dict):
        if set(value) == {"tensor"}:
            return tensors[value["tensor"]]
        if set(value) == {"tuple"} and isinstance(value["tuple"], list):
            return tuple(_decode(v, tensors) for v in value["tuple"])
        if set(value) == {"dict"} and isinstance(value["dict"], list):
            pairs = value["dict"]
            if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], (str, int)) for p in pairs):
                raise ValueError("malformed dict entry in the optimizer state")
            return {key: _decode(item, tensors) for key, item in pairs}
        raise ValueError(f"unexpected object in the optimizer state: keys {sorted(value)[:5]}")
    return value


def _tensor_keys(value: Any) -> list[str]:
    if isinstance(value, list):
        return [key for item in value for key in _tensor_keys(item)]
    if isinstance(value, dict):
        if set(value) == {"tensor"}:
            return [str(value["tensor"])]
        return [key for item in value.values() for key in _tensor_keys(item)]
    return []
