"""Helpers for lists of weights: Keras's split of torch modules' tensors, layouts, assignment."""

from __future__ import annotations

import numpy as np
import torch

from torchkeras.layers.variable import Variable

__all__ = [
    "assign_array",
    "child_weights",
    "keras_numpy",
    "keras_shape",
    "module_weights",
    "unique_tensors",
    "weight_name",
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
    seen: set[int] = set()
    return [t for t in tensors if not (id(t) in seen or seen.add(id(t)))]


def keras_shape(tensor: torch.Tensor) -> tuple[int, ...]:
    return tensor.keras_shape if isinstance(tensor, Variable) else tuple(tensor.shape)


def keras_numpy(tensor: torch.Tensor) -> np.ndarray:
    if isinstance(tensor, Variable):
        return tensor.numpy()
    return (
        tensor.detach().float().cpu().numpy()
        if tensor.dtype == torch.bfloat16
        else tensor.detach().cpu().numpy()
    )


def weight_name(tensor: torch.Tensor) -> str:
    return tensor.path if isinstance(tensor, Variable) else "weight"


def assign_array(tensor: torch.Tensor, array: np.ndarray) -> None:
    if isinstance(tensor, Variable):
        tensor.assign(array)
    else:
        with torch.no_grad():
            tensor.copy_(torch.as_tensor(array, dtype=tensor.dtype))


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
