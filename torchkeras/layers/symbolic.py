"""Shape inference without data: run a call on fake tensors and read the shapes back.

Private torch used here, deliberately and only here for the engine: `FakeTensorMode` and
`unset_fake_temporarily` (torch has no public fake-tensor API yet), and one shim for torch older
than 2.13 (`_let_fake_mode_accept_variables`), kept because `setup.cfg` still allows torch 2.1+;
drop it when the floor reaches 2.13.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch._subclasses.fake_tensor import FakeTensorMode, unset_fake_temporarily

from torchkeras import config
from torchkeras.layers.keras_tensor import KerasTensor, Node
from torchkeras.layers.variable import Variable
from torchkeras.utils.nest import flatten, map_structure, pack_like
from torchkeras.utils.symbolic_scope import SymbolicScope

__all__ = [
    "as_shape",
    "record_call",
    "as_shape_structure",
    "compute_output_spec",
    "is_shape",
    "jsonable_shape",
    "real_tensors",
    "shape_of",
]

# Unknown sizes are tried at two values; a dimension that follows them is reported as None.
_PROBE_SIZES = (83, 89)

# Creates real tensors inside a shape-inference run (weights built lazily during the trace).
real_tensors = unset_fake_temporarily


def _let_fake_mode_accept_variables() -> None:
    """Torch before 2.13 refuses every parameter subclass inside fake-tensor mode, even a
    metadata-only one like `Variable`; 2.13 accepts those. Extend the older check the same way."""
    from torch._subclasses import fake_tensor

    check = getattr(fake_tensor, "_check_for_subclass_arg", None)
    if check is None or not check(Variable(torch.zeros(1), name="probe")):
        return  # this torch already accepts Variables

    def accepting_variables(value: object) -> bool:
        return False if type(value) is Variable else check(value)

    fake_tensor._check_for_subclass_arg = accepting_variables


_let_fake_mode_accept_variables()


def _fake(spec: KerasTensor, mode: FakeTensorMode, size: int) -> torch.Tensor:
    shape = [size if d is None else d for d in spec.shape]
    with mode:
        tensor = torch.empty(shape, dtype=config.torch_dtype(spec.dtype))
        if spec._keras_mask is not None:
            tensor._keras_mask = _fake(spec._keras_mask, mode, size)
    return tensor


def _spec(tensor: Any) -> Any:
    if not isinstance(tensor, torch.Tensor):
        return tensor
    spec = KerasTensor(tuple(tensor.shape), dtype=tensor.dtype)
    mask = getattr(tensor, "_keras_mask", None)
    if isinstance(mask, torch.Tensor):
        spec._keras_mask = KerasTensor(tuple(mask.shape), dtype=mask.dtype)
    return spec


def _merge(first: Any, second: Any) -> Any:
    if not isinstance(first, KerasTensor):
        return first
    merged = KerasTensor(tuple(a if a == b else None for a, b in zip(first.shape, second.shape)), first.dtype)
    if first._keras_mask is not None and second._keras_mask is not None:
        merged._keras_mask = _merge(first._keras_mask, second._keras_mask)
    return merged


def compute_output_spec(fn: Callable, args: tuple, kwargs: dict) -> Any:
    """Calls `fn(*args, **kwargs)` with every `KerasTensor` replaced by a fake tensor.

    Returns the output structure with tensors replaced by `KerasTensor`s whose unknown sizes
    are `None`. Nothing is allocated and no real computation runs.
    """
    has_unknown = any(None in leaf.shape for leaf in flatten((args, kwargs)) if isinstance(leaf, KerasTensor))
    runs = []
    for size in _PROBE_SIZES if has_unknown else _PROBE_SIZES[:1]:
        mode = FakeTensorMode(allow_non_fake_inputs=True)
        fake_args, fake_kwargs = map_structure(
            lambda leaf, s=size, m=mode: _fake(leaf, m, s) if isinstance(leaf, KerasTensor) else leaf,
            (args, kwargs),
        )
        with mode, torch.no_grad(), SymbolicScope():
            outputs = fn(*fake_args, **fake_kwargs)
        runs.append(map_structure(_spec, outputs))
    if len(runs) == 1:
        return runs[0]
    return pack_like(runs[0], [_merge(a, b) for a, b in zip(flatten(runs[0]), flatten(runs[1]))])


def shape_of(value: Any) -> Any:
    if isinstance(value, (torch.Tensor, KerasTensor)):
        return tuple(value.shape)
    if isinstance(value, (list, tuple)):
        return [shape_of(v) for v in value]
    if isinstance(value, dict):
        return {k: shape_of(v) for k, v in value.items()}
    return None


def is_shape(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(d is None or isinstance(d, int) for d in value)


def as_shape(value: Any) -> Any:
    if is_shape(value):
        return tuple(value)
    return as_shape_structure(value)


def as_shape_structure(value: Any) -> Any:
    if is_shape(value):
        return tuple(value)
    if isinstance(value, dict):
        return {k: as_shape_structure(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_shape_structure(v) for v in value]
    return value


def jsonable_shape(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, list):
        return [jsonable_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable_shape(v) for k, v in value.items()}
    return value


def record_call(layer: Any, args: tuple, kwargs: dict) -> Any:
    """Calls `layer` on symbolic arguments: builds it if needed, infers its outputs on fake
    tensors, and records the call as a graph `Node`. Returns the output `KerasTensor`(s)."""
    kwargs = {k: v for k, v in kwargs.items() if k != "training" or v is not None}
    first = args[0] if args else None
    accepts_training, accepts_mask, _ = type(layer)._call_spec
    call_kwargs = dict(kwargs)
    mask = getattr(first, "_keras_mask", None)
    if accepts_mask and isinstance(mask, KerasTensor) and kwargs.get("mask") is None:
        call_kwargs["mask"] = mask  # at run time the real mask travels on the tensor
    if not layer.built:
        with real_tensors():
            layer._build_from_call(args, call_kwargs)
    if accepts_training:
        call_kwargs.setdefault("training", False)
    else:
        call_kwargs.pop("training", None)
    # Ops on real state inside the fake run would really execute: keep the buffers intact.
    saved_buffers = [(buffer, buffer.detach().clone()) for buffer in layer.buffers()]
    try:
        outputs = layer.compute_output_spec(*args, **call_kwargs)
    except NotImplementedError:
        outputs = layer._spec_from_output_shape(args)
    except (ValueError, TypeError):
        raise
    except Exception as error:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) could not be called on inputs with "
            f"shapes {shape_of(list(args))}: {error}"
        ) from error
    finally:
        with torch.no_grad():
            for buffer, value in saved_buffers:
                buffer.copy_(value)
    node = Node(layer, args, kwargs, outputs)
    layer._inbound_nodes.append(node)
    for index, tensor in enumerate(node.output_tensors):
        tensor._keras_history = (node, index)
    return outputs
