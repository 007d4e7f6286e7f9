"""Where each weight lives in a saved file: Keras 3's attribute walk, reproduced.

Keras stores a model's state as groups named by the attribute path to each object, e.g.
`layers/dense/vars/0` (a functional model's first `Dense` kernel), `cell/vars/1` (an RNN cell's
recurrent kernel) or `optimizer/vars/3`. Objects are visited in Keras's order (a functional or
sequential model's `layers` first, then attributes sorted by name with private ones last); lists of
layers name each element by its snake-case class name (`dense`, `dense_1`, ...). Matching this walk
is what lets Keras's `.keras` / `.weights.h5` files load here and ours load in Keras.

A group holds a layer's own variables in Keras's layout under `"0"`, `"1"`, ... (trainable ones
first), a plain `torch.nn.Module`'s `state_dict()` under its keys, or the optimizer's variables.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.layers.torch_function import TorchFunction
from torchkeras.layers.tracking import TrackedContainer
from torchkeras.optimizers.torch_optim import TorchOptimizerState, is_torch_optimizer
from torchkeras.utils.registry import to_snake_case

__all__ = ["Saveable", "walk"]


class Saveable:
    """One object holding state, at `path` (`""` is the model itself)."""

    def __init__(self, path: str, obj: Any, kind: str):
        self.path = path
        self.obj = obj
        # "layer", "module" (plain torch module), "optimizer" or "torch_optimizer" (`torch.optim`)
        self.kind = kind

    @property
    def name(self) -> str | None:
        name = getattr(self.obj, "name", None)
        return name if isinstance(name, str) else None

    def tensors(self) -> dict[str, torch.Tensor]:
        """The state to save: Keras layouts for layers, `state_dict()` for torch modules."""
        if self.kind == "layer":
            return {key: _keras_value(v) for key, v in layer_variables(self.obj).items()}
        if self.kind == "module":
            return {key: value.detach() for key, value in self.obj.state_dict().items()}
        return {key: value.detach() for key, value in self.obj.get_state_tensors().items()}

    def targets(self) -> dict[str, torch.Tensor]:
        """The live tensors a load assigns, by key (not for optimizers)."""
        if self.kind == "layer":
            return layer_variables(self.obj)
        return dict(self.obj.state_dict(keep_vars=True))

    def assets(self) -> dict[str, bytes]:
        """Files Keras keeps beside the weights (e.g. a lookup layer's `vocabulary.txt`)."""
        files = getattr(self.obj, "_asset_files", None)
        return files() if self.kind == "layer" and files is not None else {}


def own_variables(layer: Layer) -> list[torch.Tensor]:
    """A layer's own weights (not its sublayers'), trainable ones first, as Keras saves them."""
    trainable, non_trainable = layer._own_variables()
    return trainable + non_trainable


def layer_variables(layer: Layer) -> dict[str, torch.Tensor]:
    """A layer's own variables by their key in a file: `"0"`, `"1"`, ... unless the layer names
    them itself (`_saved_variables`, as Keras's lookup layers name `idf_weights`)."""
    named = getattr(layer, "_saved_variables", None)
    if named is not None:
        return named()
    return {str(i): v for i, v in enumerate(own_variables(layer))}


def _keras_value(tensor: torch.Tensor) -> torch.Tensor:
    keras_value = getattr(tensor, "keras_value", None)
    return keras_value() if keras_value is not None else tensor.detach()


# Containers: their items are visited one by one, by class name (Keras's container naming).
_CONTAINERS = (torch.nn.ModuleList, torch.nn.ModuleDict, TrackedContainer)


def _is_optimizer(obj: Any) -> bool:
    return hasattr(obj, "get_state_tensors") and hasattr(obj, "set_state_tensors")


def _kind(obj: Any) -> str | None:
    if isinstance(obj, TorchFunction):
        return None
    if isinstance(obj, Layer):
        return "layer"
    if isinstance(obj, torch.nn.Module) and not isinstance(obj, _CONTAINERS):
        return "module"
    return None


@functools.cache
def _skipped_attributes() -> frozenset[str]:
    """Attributes every layer has (Keras skips those of a bare `Layer`), plus graph bookkeeping."""
    probe = Layer(name="attribute_probe")
    return frozenset(dir(probe)) | {"_operations", "_operation_order", "_inbound_nodes", "_layers"}


def _children(obj: Any) -> Iterator[tuple[str, Any]]:
    skipped = _skipped_attributes()
    is_model = hasattr(obj, "compile") and hasattr(obj, "fit")
    if is_model and hasattr(obj, "_layers"):  # Functional and Sequential: their layers first
        yield "layers", obj.layers
    for name in sorted(dir(obj), key=lambda n: f"~{n}" if n.startswith("_") else n):
        if name.startswith("__") or (name in skipped and not (is_model and name == "layers")):
            continue
        if name == "layers" and is_model and not hasattr(obj, "_layers"):
            yield name, _tracked_layers(obj)
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # properties that need a call first, as Keras tolerates
            continue
        yield name, value


def _tracked_layers(obj: Any) -> list[Any]:
    """A subclassed model's layers in Keras's tracking order (containers expanded in place)."""
    return obj.layers if isinstance(obj, Layer) else []


def walk(model: Any, include_optimizer: bool = True) -> list[Saveable]:
    """Every object with state in `model`, with its Keras path, in Keras's order."""
    found: list[Saveable] = []
    visited: set[int] = set()

    def visit(obj: Any, path: str) -> None:
        if id(obj) in visited:
            return
        visited.add(id(obj))
        kind = _kind(obj) if path or not _is_optimizer(obj) else None
        if kind is None:
            return
        found.append(Saveable(path, obj, kind))
        if kind != "layer":
            return
        for attribute, value in _children(obj):
            child_path = f"{path}/{attribute}" if path else attribute
            if attribute == "optimizer" and hasattr(obj, "fit"):
                if include_optimizer and _is_optimizer(value) and id(value) not in visited:
                    visited.add(id(value))
                    found.append(Saveable(child_path, value, "optimizer"))
                elif include_optimizer and is_torch_optimizer(value) and id(value) not in visited:
                    visited.add(id(value))
                    found.append(Saveable(child_path, TorchOptimizerState(value), "torch_optimizer"))
            elif _kind(value) is not None:
                visit(value, child_path)
            elif isinstance(value, (list, tuple, dict, torch.nn.ModuleList, torch.nn.ModuleDict)):
                visit_container(value, child_path, set())

    def visit_container(container: Any, path: str, seen: set[int]) -> None:
        if id(container) in seen:
            return
        seen.add(id(container))
        items = container.values() if isinstance(container, (dict, torch.nn.ModuleDict)) else container
        used: dict[str, int] = {}
        for item in list(items):
            if _kind(item) is not None:
                visit(item, f"{path}/{_unique(to_snake_case(type(item).__name__), used)}")
            elif isinstance(item, (list, tuple, dict, torch.nn.ModuleList, torch.nn.ModuleDict)):
                visit_container(item, f"{path}/{_unique('container', used)}", seen)

    visit(model, "")
    return found


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name
