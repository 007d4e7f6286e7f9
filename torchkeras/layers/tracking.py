"""What a layer owns and in which order: its weights, their registration keys, and the weights
of the layers and torch modules it holds.

A weight made by `add_weight` is registered at once under a free key (`kernel`, `kernel_1`, ...)
and re-keyed under the attribute it is then assigned to (`adopt_variable`). A layer lists its own
weights first (trainable, then non-trainable), then each sublayer's in turn (`child_weights`); a
plain torch module inside a layer is split as Keras's torch wrapper does (`module_weights`).
"""

from __future__ import annotations

import torch

from torchkeras.layers.variable import Variable

__all__ = [
    "adopt_variable",
    "child_weights",
    "free_key",
    "module_weights",
    "unique_tensors",
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
