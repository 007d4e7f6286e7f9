"""What a layer owns and in which order: its weights, their registration keys, and the weights
of the layers and torch modules it holds.

A weight made by `add_weight` is registered at once under a free key (`kernel`, `kernel_1`, ...)
and re-keyed under the attribute it is then assigned to (`adopt_variable`). A layer lists its own
weights first (trainable, then non-trainable), then each sublayer's in turn (`child_weights`); a
plain torch module inside a layer is split as Keras's torch wrapper does (`module_weights`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any, SupportsIndex

import torch

from torchkeras.layers.variable import Variable

__all__ = [
    "TrackedContainer",
    "TrackedDict",
    "TrackedList",
    "TrackedTuple",
    "adopt_variable",
    "child_weights",
    "free_key",
    "holds_module",
    "module_weights",
    "ordered_children",
    "stamp",
    "sublayers_and_modules",
    "track",
    "unique_tensors",
    "wants_tracking",
]


def module_weights(
    module: torch.nn.Module, kind: str, parent_trainable: bool, recurse: bool = True
) -> list[torch.Tensor]:
    """Weights of a plain torch module inside a layer, split as Keras's torch wrapper does:
    parameters are trainable (unless frozen), floating buffers non-trainable."""
    parameters = list(module.parameters(recurse=recurse))
    buffers = [b for b in module.buffers(recurse=recurse) if b.is_floating_point()]
    if kind == "weights":
        return parameters + buffers
    if kind == "trainable_weights":
        return [p for p in parameters if p.requires_grad] if parent_trainable else []
    frozen = [p for p in parameters if not p.requires_grad] if parent_trainable else parameters
    return frozen + buffers


def unique_tensors(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """`tensors` without repeats (a weight shared by two sublayers is listed once), in order."""
    seen: set[int] = set()
    return [t for t in tensors if not (id(t) in seen or seen.add(id(t)))]


def child_weights(
    module: torch.nn.Module, kind: str, parent_trainable: bool, layer_type: type
) -> list[torch.Tensor]:
    """A sublayer's `kind` weights; containers holding layers (e.g. a ModuleList) are walked in
    order, so a model lists its layers' weights layer by layer, as Keras does."""
    if isinstance(module, layer_type):
        return getattr(module, kind)
    children = list(module.children())
    holds_layers = any(isinstance(child, layer_type) for child in children)
    if isinstance(module, (torch.nn.ModuleList, torch.nn.ModuleDict)) or holds_layers:
        own = module_weights(module, kind, parent_trainable, recurse=False)
        return own + [
            w for child in children for w in child_weights(child, kind, parent_trainable, layer_type)
        ]
    return module_weights(module, kind, parent_trainable)


def free_key(module: torch.nn.Module, name: str) -> str:
    """A registration key for a new weight: `name`, or `name_1`, `name_2`, ... when taken."""
    key, index = name, 0
    taken = (module._parameters, module._buffers, module._modules, module.__dict__)
    while any(key in table for table in taken) or hasattr(type(module), key):
        index += 1
        key = f"{name}_{index}"
    return key


def adopt_variable(module: torch.nn.Module, attribute: str, variable: Variable) -> bool:
    """Re-keys a weight made by `add_weight` under the attribute it is assigned to
    (`self.w = self.add_weight(name="kernel")` registers it once, as `w`). Returns whether
    `variable` is already registered on `module`, so the assignment needs nothing more."""
    for table in (module._parameters, module._buffers):
        for key, existing in table.items():
            if existing is variable:
                unclaimed = module.__dict__.get("_unclaimed_keys", set())
                if key != attribute and key in unclaimed:
                    renamed = {(attribute if k == key else k): v for k, v in table.items()}
                    table.clear()
                    table.update(renamed)
                    unclaimed.discard(key)
                    module.__dict__.pop(attribute, None)
                return key == attribute or attribute in table
    return False


# -------------------------------------------------------------------- tracked containers

# Keras lists a layer's sublayers in the order they were first tracked, wherever they sit (an
# attribute, or a list filled later). Each module gets a stamp the first time it is tracked;
# stamps are taken while models are constructed, never inside a call.
_STAMPS = itertools.count()


def stamp(module: torch.nn.Module) -> None:
    """Records when `module` was first tracked (kept on the module, so copies keep it)."""
    if "_tracked_at" not in module.__dict__:
        module.__dict__["_tracked_at"] = next(_STAMPS)


class TrackedContainer(torch.nn.Module):
    """Base of the tracked list, dict and tuple: the modules a container holds are its submodules
    (keys `"0"`, `"1"`, ... or the dict's keys), so `parameters()`, `state_dict()` and `.to()` reach
    them, with the keys a `ModuleList` / `ModuleDict` would give."""

    def _items(self) -> Iterable[tuple[Any, Any]]:
        raise NotImplementedError("Tracked containers implement `_items()`: their (key, value) pairs.")

    def _sync(self) -> None:
        modules = {}
        for key, value in self._items():
            if isinstance(value, torch.nn.Module):
                stamp(value)
                modules.setdefault(str(key).replace(".", "_"), value)
        self._modules.clear()
        self._modules.update(modules)


class TrackedList(list, TrackedContainer):
    """A list whose layers (also those appended later, or in nested containers) are tracked."""

    __hash__ = object.__hash__  # modules are hashed by identity (a list or dict is unhashable)

    def __init__(self, values: Iterable[Any] = ()):
        TrackedContainer.__init__(self)
        list.__init__(self, (track(value) for value in values))
        self._sync()

    def _items(self) -> Iterable[tuple[Any, Any]]:
        return enumerate(self)

    def append(self, value: Any) -> None:
        list.append(self, track(value))
        self._sync()

    def extend(self, values: Iterable[Any]) -> None:
        list.extend(self, (track(value) for value in values))
        self._sync()

    def insert(self, index: SupportsIndex, value: Any) -> None:
        list.insert(self, index, track(value))
        self._sync()

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            value = [track(item) for item in value]
        else:
            value = track(value)
        list.__setitem__(self, index, value)
        self._sync()

    def __iadd__(self, values: Iterable[Any]) -> TrackedList:
        self.extend(values)
        return self

    def __imul__(self, count: SupportsIndex) -> TrackedList:
        list.__imul__(self, count)
        self._sync()
        return self


def _mutates(method_name: str, base: type) -> Callable:
    base_method = getattr(base, method_name)

    def mutate(self: TrackedContainer, *args: Any, **kwargs: Any) -> Any:
        result = base_method(self, *args, **kwargs)
        self._sync()
        return result

    mutate.__name__ = method_name
    mutate.__doc__ = base_method.__doc__
    return mutate


for _name in ("__delitem__", "pop", "remove", "clear", "sort", "reverse"):
    setattr(TrackedList, _name, _mutates(_name, list))


class TrackedDict(dict, TrackedContainer):
    """A dict whose layers (also those added later, or in nested containers) are tracked."""

    __hash__ = object.__hash__  # modules are hashed by identity (a list or dict is unhashable)

    def __init__(self, values: Any = (), **kwargs: Any):
        TrackedContainer.__init__(self)
        dict.__init__(self)
        self.update(values, **kwargs)

    def _items(self) -> Iterable[tuple[Any, Any]]:
        return self.items()

    def __setitem__(self, key: Any, value: Any) -> None:
        dict.__setitem__(self, key, track(value))
        self._sync()

    def update(self, values: Any = (), **kwargs: Any) -> None:
        pairs = values.items() if hasattr(values, "items") else values
        for key, value in [*pairs, *kwargs.items()]:
            dict.__setitem__(self, key, track(value))
        self._sync()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def __ior__(self, values: Any) -> TrackedDict:
        self.update(values)
        return self


for _name in ("__delitem__", "pop", "popitem", "clear"):
    setattr(TrackedDict, _name, _mutates(_name, dict))


class TrackedTuple(tuple, TrackedContainer):
    """A tuple whose layers (also in nested containers) are tracked."""

    __hash__ = object.__hash__  # modules are hashed by identity (a list or dict is unhashable)

    def __new__(cls, values: Iterable[Any] = ()) -> TrackedTuple:
        return tuple.__new__(cls, (track(value) for value in values))

    def __init__(self, values: Iterable[Any] = ()):
        try:
            TrackedContainer.__init__(self)
        except TypeError as error:
            # Once `torch._dynamo` is imported it wraps `Module.__init__` to record each new module
            # in a weak-key table after the original `__init__` has run. A tuple subclass cannot be
            # weakly referenced, so only that bookkeeping fails: the module is fully initialized.
            if "weak reference" not in str(error):
                raise
        self._sync()

    def _items(self) -> Iterable[tuple[Any, Any]]:
        return enumerate(self)


del _name


def track(value: Any) -> Any:
    """`value` with its lists, dicts and tuples (at any depth) made tracked containers; a module
    is stamped. Named tuples and other values are returned as they are."""
    if isinstance(value, torch.nn.Module):
        stamp(value)
        return value
    if isinstance(value, list):
        return TrackedList(value)
    if isinstance(value, dict):
        return TrackedDict(value)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return TrackedTuple(value)
    return value


def holds_module(value: Any) -> bool:
    """Whether a (nested) list, tuple or dict holds a `torch.nn.Module`."""
    if isinstance(value, torch.nn.Module):
        return True
    if isinstance(value, dict):
        return any(holds_module(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_module(item) for item in value)
    return False


def wants_tracking(owner: torch.nn.Module, name: str, value: Any) -> bool:
    """Whether an attribute value becomes a tracked container: a list, tuple or dict holding a
    module; an empty public list or dict (to be filled later, `self.blocks = []`); or any such
    container replacing one already tracked."""
    if isinstance(value, TrackedContainer) or not isinstance(value, (list, tuple, dict)):
        return False
    if name.startswith("__"):  # e.g. `obj.__dict__ = ...`, as torch.export's module proxies do
        return False
    if name in owner._modules:
        return True
    if not value and isinstance(value, (list, dict)) and not name.startswith("_"):
        return True
    return holds_module(value)


def ordered_children(module: torch.nn.Module) -> list[torch.nn.Module]:
    """The modules `module` holds, tracked containers expanded, in the order they were first
    tracked (Keras's order of sublayers); modules registered otherwise keep torch's place."""
    entries: list[tuple[int, torch.nn.Module]] = []
    last = -1

    def collect(container: torch.nn.Module) -> None:
        nonlocal last
        for child in container._modules.values():
            if child is None:
                continue
            if isinstance(child, TrackedContainer):
                collect(child)
                continue
            last = child.__dict__.get("_tracked_at", last)
            entries.append((last, child))

    collect(module)
    entries.sort(key=lambda entry: entry[0])  # stable: torch's order among equal stamps
    seen: set[int] = set()
    return [child for _, child in entries if not (id(child) in seen or seen.add(id(child)))]


def sublayers_and_modules(module: torch.nn.Module, layer_type: type) -> list[torch.nn.Module]:
    """The direct sublayers of `module` in tracking order, looking through torch containers that
    hold layers (a `ModuleList`, an `nn.Sequential` of layers); other torch modules as they are."""
    found: list[torch.nn.Module] = []
    for child in ordered_children(module):
        if isinstance(child, layer_type):
            found.append(child)
        elif any(isinstance(grandchild, layer_type) for grandchild in child.children()):
            found.extend(sublayers_and_modules(child, layer_type))
        else:
            found.append(child)
    return found
