"""A model's state <-> a store of named tensors, with every check done before anything is assigned.

A store maps a saveable's path (`""`, `"layers/dense"`, `"optimizer"`) to `{key: tensor}`; files
flatten it to `"<path>/vars/<key>"`. Loading checks each expected weight's presence, shape and dtype
against the store, then reads every value, and only then assigns them all: a file that does not
fit leaves the model exactly as it was.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Protocol

import torch

from torchkeras.saving.saveables import Saveable, walk

__all__ = ["InMemory", "collect_state", "dtype_kind", "flat_key", "restore_state", "split_flat_key"]


class Entry(Protocol):
    """A stored tensor: its shape and dtype are known before `read()` fetches it."""

    shape: tuple[int, ...]
    dtype: torch.dtype

    def read(self) -> torch.Tensor: ...


class InMemory:
    """An `Entry` over a tensor already in memory."""

    def __init__(self, tensor: torch.Tensor):
        self.tensor = tensor
        self.shape = tuple(tensor.shape)
        self.dtype = tensor.dtype

    def read(self) -> torch.Tensor:
        return self.tensor


def flat_key(path: str, key: str) -> str:
    """`("layers/dense", "0")` -> `"layers/dense/vars/0"`; the model's own: `"vars/0"`."""
    return f"{path}/vars/{key}" if path else f"vars/{key}"


def split_flat_key(name: str) -> tuple[str, str] | None:
    """Inverse of `flat_key`; `None` for names not in that form."""
    head, _, key = name.rpartition("/")
    if head == "vars":
        return "", key
    if head.endswith("/vars") and key:
        return head[: -len("/vars")], key
    return None


def collect_state(model: Any, include_optimizer: bool = True) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, str | None]]:
    """`({path: {key: tensor}}, {path: object name})` for everything in `model` holding state."""
    groups, names = {}, {}
    for saveable in walk(model, include_optimizer):
        optimizer = saveable.obj
        if saveable.kind == "optimizer" and not optimizer.built and optimizer.__dict__.get("_pending") is None:
            continue  # a fresh optimizer: nothing to restore
        groups[saveable.path] = saveable.tensors()
        names[saveable.path] = saveable.name
    return groups, names


def _keras_shape(tensor: torch.Tensor) -> tuple[int, ...]:
    return tuple(getattr(tensor, "keras_shape", tensor.shape))


def dtype_kind(dtype: torch.dtype) -> str:
    """`"float"`, `"int"`, `"bool"` or `"complex"`: weights load across dtypes of the same kind."""
    if dtype == torch.bool:
        return "bool"
    if dtype.is_complex:
        return "complex"
    return "float" if dtype.is_floating_point else "int"


def _describe(saveable: Saveable) -> str:
    what = {"layer": "layer", "module": "module", "optimizer": "optimizer"}[saveable.kind]
    where = saveable.path or "the model itself"
    name = f" '{saveable.name}'" if saveable.name else ""
    return f"{what}{name} (at {where})"


def restore_state(
    model: Any, store: Mapping[str, Mapping[str, Entry]], source: str, skip_mismatch: bool = False
) -> None:
    """Assigns the store's tensors to `model` (and its optimizer's state), all checks first.

    Raises:
        ValueError: naming `source`, when a weight is missing or has another shape or dtype kind
            (with `skip_mismatch=True`, those objects are skipped with a warning instead).
    """
    plan: list[tuple[torch.Tensor, Entry]] = []
    problems: list[str] = []
    optimizer_state = None
    for saveable in walk(model):
        group = store.get(saveable.path)
        if saveable.kind == "optimizer":
            if group:
                optimizer_state = (saveable, group)
            continue
        targets = saveable.targets()
        if not targets:
            continue
        found = _match(saveable, targets, group or {})
        if isinstance(found, str):
            if skip_mismatch:
                warnings.warn(f"Skipping {found} (loading {source!r} with skip_mismatch=True).", stacklevel=3)
            else:
                problems.append(found)
            continue
        plan.extend(found)
    optimizer_plan = _optimizer_plan(optimizer_state, problems, source)
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ValueError(
            f"Cannot load weights from {source!r}: {len(problems)} mismatch(es) with the model; nothing was "
            f"assigned.\n{listed}{more}"
        )
    values = [(target, entry.read()) for target, entry in plan]
    optimizer_values = None
    if optimizer_plan is not None:
        optimizer_values = {key: entry.read() for key, entry in optimizer_plan[1].items()}
    with torch.no_grad():
        for target, value in values:
            if hasattr(target, "assign"):
                target.assign(value)
            else:
                target.copy_(value.to(device=target.device, dtype=target.dtype))
    if optimizer_plan is not None:
        optimizer_plan[0].set_state_tensors(optimizer_values)


def _match(saveable: Saveable, targets: dict[str, torch.Tensor], group: Mapping[str, Entry]) -> Any:
    """The `(target, entry)` pairs of one object, or a description of why they do not fit."""
    if set(group) != set(targets):
        missing = sorted(set(targets) - set(group))[:5]
        extra = sorted(set(group) - set(targets))[:5]
        details = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else [])
        return f"{_describe(saveable)} has {len(targets)} weights, the file has {len(group)} ({', '.join(details)})"
    pairs = []
    for key, target in targets.items():
        entry, expected = group[key], _keras_shape(target)
        if tuple(entry.shape) != expected:
            return f"{_describe(saveable)}: weight {key} has shape {expected}, the file has {tuple(entry.shape)}"
        if dtype_kind(entry.dtype) != dtype_kind(target.dtype):
            return f"{_describe(saveable)}: weight {key} is {target.dtype}, the file has {entry.dtype}"
        pairs.append((target, entry))
    return pairs


def _optimizer_plan(found: Any, problems: list[str], source: str) -> tuple[Any, dict[str, Entry]] | None:
    if found is None:
        return None
    saveable, group = found
    optimizer = saveable.obj
    keys = [str(i) for i in range(len(group))]
    if sorted(group) != sorted(keys):
        problems.append(f"optimizer state keys must be 0..{len(group) - 1}; the file has {sorted(group)[:5]}")
        return None
    entries = {key: group[key] for key in keys}
    if getattr(optimizer, "built", False):
        variables = optimizer.variables
        if len(variables) != len(entries):
            warnings.warn(
                f"Skipping the optimizer state in {source!r}: optimizer '{optimizer.name}' has "
                f"{len(variables)} variables, the file has {len(entries)}.",
                stacklevel=4,
            )
            return None
        for key, variable in zip(keys, variables):
            if tuple(entries[key].shape) != tuple(variable.shape):
                problems.append(
                    f"optimizer variable {key} has shape {tuple(variable.shape)}, the file has "
                    f"{tuple(entries[key].shape)}"
                )
    return optimizer, entries
