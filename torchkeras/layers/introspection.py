"""What a layer class accepts (its `call` signature and constructor arguments) and how its
`build` is wrapped."""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any

from torchkeras import config, mixed_precision
from torchkeras.layers import symbolic

__all__ = [
    "EXTRA_INIT_KWARGS",
    "capture_init_arguments",
    "declared_input_shape",
    "inspect_call",
    "is_plain",
    "marks_built",
    "policy_name",
]

# Keyword arguments every Keras layer accepts besides its own (Sequential reads the shapes).
EXTRA_INIT_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "input_dim", "weights"}


def inspect_call(cls: type) -> tuple[bool, bool, tuple[str, ...]]:
    """(accepts `training`, accepts `mask`, positional parameter names) of `cls.call`."""
    parameters = inspect.signature(cls.call).parameters
    names = tuple(
        name
        for name, p in parameters.items()
        if name != "self" and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )
    return "training" in parameters, "mask" in parameters, names


def is_plain(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def capture_init_arguments(cls: type, args: tuple, kwargs: dict) -> dict | None:
    """The constructor arguments, when all are plain JSON values (Keras's automatic config)."""
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except TypeError:
        return None
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(arguments)))  # self
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if p.kind == p.VAR_KEYWORD and name in arguments:
            arguments.update(arguments.pop(name))
        elif p.kind == p.VAR_POSITIONAL and name in arguments:
            return None
    return arguments if is_plain(arguments) else None


def policy_name(dtype: Any) -> str:
    """The dtype-policy name of a layer's `dtype` argument (name, torch dtype or Keras dict)."""
    if isinstance(dtype, dict):  # Keras's serialized DTypePolicy
        dtype = dtype.get("config", {}).get("name", dtype.get("name"))
    if dtype is None:
        return mixed_precision.global_policy().name
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        return dtype
    return config.standardize_dtype(dtype)


def declared_input_shape(kwargs: dict) -> tuple | None:
    """The sample shape declared through `input_shape` / `batch_input_shape` / `input_dim`."""
    if kwargs.get("batch_input_shape") is not None:
        return tuple(kwargs["batch_input_shape"])[1:]
    if kwargs.get("input_shape") is not None:
        return tuple(kwargs["input_shape"])
    if kwargs.get("input_dim") is not None:
        return (kwargs["input_dim"],)
    return None


def marks_built(build: Callable) -> Callable:
    """Wraps a layer class's `build`: weights are created as real tensors (also during shape
    inference), then the layer is marked built and its build shape recorded."""

    @functools.wraps(build)
    def wrapper(layer: Any, *args: Any, **kwargs: Any) -> Any:
        with symbolic.real_tensors():
            result = build(layer, *args, **kwargs)
        object.__setattr__(layer, "built", True)
        if layer._build_shapes is None and args:
            layer._build_shapes = {"input_shape": symbolic.jsonable_shape(args[0])}
        return result

    return wrapper
