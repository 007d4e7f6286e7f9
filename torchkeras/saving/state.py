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

from torchkeras.layers.variable import keras_shape
from torchkeras.optimizers.torch_optim import TORCH_STATE_KEY
from torchkeras.saving.random_state import random_state_plan
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


def collect_state(
    model: Any, include_optimizer: bool = True
) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, str | None]]:
    """`({path: {key: tensor}}, {path: object name})` for everything in `model` holding state,
    in Keras's layouts (optimizer slots of re-laid-out weights included)."""
    groups, names = {}, {}
    for saveable in walk(model, include_optimizer):
        if saveable.kind == "optimizer":
            optimizer = saveable.obj
            if not optimizer.built and optimizer.__dict__.get("_pending") is None:
                continue  # a fresh optimizer: nothing to restore
            _, layouts = _optimizer_view(optimizer, model)
            tensors = saveable.tensors()
            groups[saveable.path] = {key: _to_keras(layouts, key, value) for key, value in tensors.items()}
        else:
            groups[saveable.path] = saveable.tensors()
        names[saveable.path] = saveable.name
    return groups, names


def _optimizer_view(optimizer: Any, model: Any) -> tuple[list[torch.Tensor], list[Any]]:
    """The optimizer's variables once built for `model`, and the storage layout of each (that of
    the weight a slot belongs to). An unbuilt optimizer is probed with a throwaway copy, built on
    the model's trainable weights without touching them."""
    built = optimizer
    if not optimizer.built:
        built = type(optimizer).from_config(optimizer.get_config())
        built.build(model.trainable_weights)
    references = {id(slot): weight for weight, slots in built.state.items() for slot in slots.values()}
    variables = list(built._all_variables())
    return variables, [getattr(references.get(id(v)), "_layout", None) for v in variables]


def _to_keras(layouts: list[Any], key: str, value: torch.Tensor) -> torch.Tensor:
    layout = layouts[int(key)] if key.isdigit() and int(key) < len(layouts) else None
    return value if layout is None else layout.to_keras(value)


def dtype_kind(dtype: torch.dtype) -> str:
    """`"float"`, `"int"`, `"bool"` or `"complex"`: weights load across dtypes of the same kind."""
    if dtype == torch.bool:
        return "bool"
    if dtype.is_complex:
        return "complex"
    return "float" if dtype.is_floating_point else "int"


def _describe(saveable: Saveable) -> str:
    what = {"layer": "layer", "module": "module"}.get(saveable.kind, "optimizer")
    where = saveable.path or "the model itself"
    name = f" '{saveable.name}'" if saveable.name else ""
    return f"{what}{name} (at {where})"


def restore_state(
    model: Any,
    store: Mapping[str, Mapping[str, Entry]],
    source: str,
    skip_mismatch: bool = False,
    random_state: str | None = None,
) -> None:
    """Assigns the store's tensors to `model` (and its optimizer's state, and the layers' random
    streams from `random_state`, see `random_state.py`), all checks first.

    Raises:
        ValueError: naming `source`, when a weight is missing or has another shape or dtype kind
            (with `skip_mismatch=True`, those objects are skipped with a warning instead).
    """
    plan: list[tuple[torch.Tensor, Entry]] = []
    problems: list[str] = []
    optimizer_state = torch_optimizer = None
    saveables = walk(model)
    for saveable in saveables:
        group = store.get(saveable.path)
        if saveable.kind == "optimizer":
            if group and TORCH_STATE_KEY in group:
                warnings.warn(
                    f"Skipping the optimizer state in {source!r}: it was saved from a torch.optim "
                    f"optimizer, the model's is a Keras optimizer ({saveable.obj.name}).",
                    stacklevel=3,
                )
            elif group:
                optimizer_state = (saveable, group)
            continue
        if saveable.kind == "torch_optimizer":
            torch_optimizer = _torch_optimizer_plan(saveable, group, source)
            continue
        targets = saveable.targets()
        if not targets and not group:
            continue
        found = _match(saveable, targets, group or {})
        if isinstance(found, str):
            if skip_mismatch:
                warnings.warn(f"Skipping {found} (loading {source!r} with skip_mismatch=True).", stacklevel=3)
            else:
                problems.append(found)
            continue
        plan.extend(found)
    unused = _unconsumed(store, saveables)
    if unused and skip_mismatch:
        warnings.warn(f"Skipping tensors the model has no place for: {unused[:20]}.", stacklevel=3)
    elif unused:
        problems.append(
            f"the file holds tensors for {len(unused)} object(s) the model does not have: {unused[:20]}"
        )
    optimizer_plan = _optimizer_plan(model, optimizer_state, problems, source)
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ValueError(
            f"Cannot load weights from {source!r}: {len(problems)} mismatch(es) with the model; nothing was "
            f"assigned.\n{listed}{more}"
        )
    assign_random_state = random_state_plan(model, random_state, source)
    values = [(target, entry.read()) for target, entry in plan]
    optimizer_values = None
    if optimizer_plan is not None:
        optimizer, entries, layouts = optimizer_plan
        optimizer_values = {
            key: entry.read()
            if layouts[int(key)] is None
            else layouts[int(key)].from_keras(entry.read()).contiguous()
            for key, entry in entries.items()
        }
    with torch.no_grad():
        for target, value in values:
            if hasattr(target, "assign"):
                target.assign(value)
            else:
                target.copy_(value.to(device=target.device, dtype=target.dtype))
    if optimizer_plan is not None:
        optimizer_plan[0].set_state_tensors(optimizer_values)  # applied at build when not built yet
    if torch_optimizer is not None:
        torch_optimizer[0].set_state_tensors(torch_optimizer[1])
    assign_random_state()


def _torch_optimizer_plan(saveable: Saveable, group: Any, source: str) -> tuple[Any, Any] | None:
    """`(state, entries)` when the file's state fits the torch optimizer; otherwise `None`, with a
    warning (as Keras skips optimizer state that does not fit)."""
    if not group:
        return None
    problem = saveable.obj.check_state_tensors(dict(group))
    if problem is not None:
        warnings.warn(f"Skipping the optimizer state in {source!r}: {problem}.", stacklevel=4)
        return None
    return saveable.obj, dict(group)


def _unconsumed(store: Mapping[str, Mapping[str, Entry]], saveables: list[Saveable]) -> list[str]:
    """The store's paths that hold tensors and match no object of the model. As in Keras, an
    optimizer's state is ignored when the model has no optimizer (uncompiled, or `compile=False`)."""
    paths = {saveable.path for saveable in saveables}
    has_optimizer = any(saveable.kind == "optimizer" for saveable in saveables)
    return sorted(
        flat_key(path, "*")
        for path, group in store.items()
        if group and path not in paths and (has_optimizer or path.split("/")[0] != "optimizer")
    )


def _match(saveable: Saveable, targets: dict[str, torch.Tensor], group: Mapping[str, Entry]) -> Any:
    """The `(target, entry)` pairs of one object, or a description of why they do not fit."""
    if set(group) != set(targets):
        missing = sorted(set(targets) - set(group))[:5]
        extra = sorted(set(group) - set(targets))[:5]
        details = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else [])
        counts = f"has {len(targets)} weights, the file has {len(group)}"
        return f"{_describe(saveable)} {counts} ({', '.join(details)})"
    pairs = []
    for key, target in targets.items():
        entry, expected = group[key], keras_shape(target)
        if tuple(entry.shape) != expected:
            return (
                f"{_describe(saveable)}: weight {key} has shape {expected}, the file has {tuple(entry.shape)}"
            )
        if dtype_kind(entry.dtype) != dtype_kind(target.dtype):
            return f"{_describe(saveable)}: weight {key} is {target.dtype}, the file has {entry.dtype}"
        pairs.append((target, entry))
    return pairs


def _optimizer_plan(
    model: Any, found: Any, problems: list[str], source: str
) -> tuple[Any, dict, list] | None:
    """`(optimizer, entries, layouts)` when the file's optimizer state fits (checked against the
    built optimizer, or a probe of it); `None` (with Keras's warning) when the counts differ."""
    if found is None:
        return None
    saveable, group = found
    optimizer = saveable.obj
    keys = [str(i) for i in range(len(group))]
    if sorted(group) != sorted(keys):
        problems.append(f"optimizer state keys must be 0..{len(group) - 1}; the file has {sorted(group)[:5]}")
        return None
    variables, layouts = _optimizer_view(optimizer, model)
    if len(variables) != len(group):
        warnings.warn(
            f"Skipping the optimizer state in {source!r}: optimizer '{optimizer.name}' has "
            f"{len(variables)} variables, the file has {len(group)}.",
            stacklevel=4,
        )
        return None
    for key, variable, layout in zip(keys, variables, layouts):
        expected = tuple(variable.shape if layout is None else layout.to_keras(variable).shape)
        if tuple(group[key].shape) != expected:
            problems.append(
                f"optimizer variable {key} has shape {expected}, the file has {tuple(group[key].shape)}"
            )
    return optimizer, {key: group[key] for key in keys}, layouts
