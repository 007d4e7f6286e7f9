"""What a layer's `call` accepts, read once per class from its signature.

`Layer.__init_subclass__` stores a `CallSpec` on every layer class. `Layer.__call__` reads it on
each call to decide whether to pass `training` and the incoming `mask`; the first call reads it
to name the shapes given to `build` (`inputs_shape`, `query_shape`, ... as Keras does).
"""

from __future__ import annotations

import inspect
from typing import Any, NamedTuple

import torch

from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.symbolic import shape_of

__all__ = ["CallSpec", "call_spec", "shapes_by_argument"]


class CallSpec(NamedTuple):
    """The facts about a `call` signature that each call needs."""

    accepts_training: bool
    accepts_mask: bool
    positional_names: tuple[str, ...]


def call_spec(cls: type) -> CallSpec:
    """The `CallSpec` of `cls.call`."""
    parameters = inspect.signature(cls.call).parameters
    names = tuple(
        name
        for name, p in parameters.items()
        if name != "self" and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )
    return CallSpec("training" in parameters, "mask" in parameters, names)


def shapes_by_argument(spec: CallSpec, args: tuple, kwargs: dict) -> dict[str, Any]:
    """`{"<argument>_shape": shape}` for the tensor arguments of a call (not `mask`/`training`),
    positional ones first: what `build` receives, by name when it asks for several."""
    shapes = {f"{name}_shape": shape_of(value) for name, value in zip(spec.positional_names, args)}
    for name, value in kwargs.items():
        if name not in ("mask", "training") and isinstance(value, (torch.Tensor, KerasTensor)):
            shapes[f"{name}_shape"] = tuple(value.shape)
    return {k: v for k, v in shapes.items() if v is not None}
