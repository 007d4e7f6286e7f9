"""How a layer created inside a `keras.RematScope` runs its call rematerialized.

`Layer.__new__` gives such a layer an instance `forward` bound to `rematerialized_forward`, so
only those layers pay for the mode; every other layer's call path is unchanged.
"""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.call_context import call_context
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.utils.nest import map_structure
from torchkeras.utils.remat import output_size, remat

__all__ = ["rematerialized_forward"]


def rematerialized_forward(layer: Any, *args: Any, **kwargs: Any) -> Any:
    """Runs `layer`'s own `forward` as its `RematScope` mode asks (Keras's rules per mode)."""
    forward = type(layer).forward.__get__(layer)
    mode = layer._remat_mode
    if not torch.is_grad_enabled() or mode.mode is None:
        return forward(*args, **kwargs)
    if mode.mode == "full":
        return _in_this_context(forward)(*args, **kwargs)
    if mode.mode == "list_of_layers":
        chosen = layer.name in mode.layer_names
        return _in_this_context(forward)(*args, **kwargs) if chosen else forward(*args, **kwargs)
    if mode.mode == "larger_than":
        larger = _output_size(layer, args, kwargs) > mode.output_size_threshold
        return _in_this_context(forward)(*args, **kwargs) if larger else forward(*args, **kwargs)
    activation = getattr(layer, "activation", None)  # "activations"
    if activation is None or isinstance(activation, torch.nn.Module) or not callable(activation):
        return forward(*args, **kwargs)
    object.__setattr__(layer, "activation", remat(activation))
    try:
        return forward(*args, **kwargs)
    finally:
        object.__setattr__(layer, "activation", activation)


def _in_this_context(forward: Any) -> Any:
    """`remat(forward)`, recomputed in the backward pass with this call's training flag and depth."""
    depth, training = call_context.depth, call_context.training

    def replay(*args: Any, **kwargs: Any) -> Any:
        saved = call_context.depth, call_context.training
        call_context.depth, call_context.training = depth, training
        try:
            return forward(*args, **kwargs)
        finally:
            call_context.depth, call_context.training = saved

    return remat(replay)


def _output_size(layer: Any, args: tuple, kwargs: dict) -> int:
    """Elements of the layer's output for these inputs, inferred once per input shape."""
    key = tuple(tuple(a.shape) for a in args if isinstance(a, torch.Tensor))
    sizes = layer.__dict__.setdefault("_remat_output_sizes", {})
    if key not in sizes:

        def spec(value: Any) -> Any:
            if isinstance(value, torch.Tensor):
                return KerasTensor(tuple(value.shape), dtype=value.dtype)
            return value

        sizes[key] = output_size(layer.compute_output_spec(*map_structure(spec, args), **kwargs))
    return sizes[key]
