"""Shape inference without data: run a call on fake tensors and read the shapes back.

Private torch used here, deliberately and only here for the engine: `FakeTensorMode` and
`unset_fake_temporarily` (torch has no public fake-tensor API yet), and one shim for torch older
than 2.13 (`_let_fake_mode_accept_variables`), kept because `setup.cfg` still allows torch 2.1+;
drop it when the floor reaches 2.13.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch
from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode, unset_fake_temporarily

from torchkeras import config
from torchkeras.layers.keras_tensor import KerasTensor, Node
from torchkeras.layers.variable import Variable
from torchkeras.utils.nest import flatten, map_structure, pack_like
from torchkeras.utils.symbolic_scope import SymbolicScope

__all__ = [
    "InferenceError",
    "as_shape",
    "record_call",
    "as_shape_structure",
    "compute_output_spec",
    "is_metric",
    "is_shape",
    "jsonable_shape",
    "real_tensors",
    "owned_metrics",
    "shape_of",
    "stateless",
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


def compute_output_spec(fn: Callable, args: tuple, kwargs: dict, device: Any = None) -> Any:
    """Calls `fn(*args, **kwargs)` with every `KerasTensor` replaced by a placeholder tensor.

    Returns the output structure with tensors replaced by `KerasTensor`s whose unknown sizes
    are `None` (each unknown size is tried at two values; a dimension that follows them is
    unknown). The placeholders are fake tensors first: nothing is allocated and nothing runs.
    A call that fake tensors cannot run (NumPy, `.item()`, a boolean mask) is retried once on
    real zero tensors on `device` (the CPU by default), under `no_grad`; callers that must keep
    state intact wrap the call in `stateless(layer)`.

    Raises:
        ValueError: when both runs fail (naming the failing op), or when the two probe runs
            disagree in structure or rank.
    """
    has_unknown = any(None in leaf.shape for leaf in flatten((args, kwargs)) if isinstance(leaf, KerasTensor))
    sizes = _PROBE_SIZES if has_unknown else _PROBE_SIZES[:1]
    try:
        runs = [_run_on_fakes(fn, args, kwargs, size) for size in sizes]
    except Exception as fake_error:
        try:
            runs = [_run_on_zeros(fn, args, kwargs, size, device) for size in sizes]
        except (ValueError, TypeError):
            raise  # the call's own complaint about its inputs, as on real data
        except Exception as real_error:
            raise InferenceError(fake_error, real_error) from real_error
    if len(runs) == 1:
        return runs[0]
    _check_runs_agree(runs[0], runs[1])
    return pack_like(runs[0], [_merge(a, b) for a, b in zip(flatten(runs[0]), flatten(runs[1]))])


class InferenceError(RuntimeError):
    """Neither the fake-tensor run nor the zero-tensor retry could run a call; says which op
    stopped the fake run and what stopped the retry."""

    def __init__(self, fake_error: BaseException, real_error: BaseException):
        op = getattr(fake_error, "func", None)
        self.op = str(op) if op is not None else f"{type(fake_error).__name__}: {fake_error}"
        self.real_error = real_error
        super().__init__(
            f"shape inference on fake tensors stopped at `{self.op}`, and the retry on zero tensors "
            f"failed with {type(real_error).__name__}: {real_error}"
        )


def _run_on_fakes(fn: Callable, args: tuple, kwargs: dict, size: int) -> Any:
    mode = FakeTensorMode(allow_non_fake_inputs=True)
    fake_args, fake_kwargs = map_structure(
        lambda leaf: _fake(leaf, mode, size) if isinstance(leaf, KerasTensor) else leaf, (args, kwargs)
    )
    with mode, torch.no_grad(), SymbolicScope():
        outputs = fn(*fake_args, **fake_kwargs)
    return map_structure(_spec, outputs)


def _run_on_zeros(fn: Callable, args: tuple, kwargs: dict, size: int, device: Any) -> Any:
    device = torch.device(device or "cpu")
    zero_args, zero_kwargs = map_structure(
        lambda leaf: _zeros(leaf, size, device) if isinstance(leaf, KerasTensor) else leaf, (args, kwargs)
    )
    with torch.no_grad(), SymbolicScope():
        outputs = fn(*zero_args, **zero_kwargs)
    return map_structure(_spec, outputs)


def _zeros(spec: KerasTensor, size: int, device: torch.device) -> torch.Tensor:
    shape = [size if d is None else d for d in spec.shape]
    tensor = torch.zeros(shape, dtype=config.torch_dtype(spec.dtype), device=device)
    if spec._keras_mask is not None:
        tensor._keras_mask = torch.ones(
            [size if d is None else d for d in spec._keras_mask.shape],
            dtype=config.torch_dtype(spec._keras_mask.dtype),
            device=device,
        )
    return tensor


def _structure(value: Any) -> Any:
    """The nesting of `value` with each tensor leaf replaced by its rank (for comparing runs)."""
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_structure(item) for item in value])
    if isinstance(value, dict):
        return ("dict", [(key, _structure(item)) for key, item in value.items()])
    return len(value.shape) if isinstance(value, KerasTensor) else type(value).__name__


def _check_runs_agree(first: Any, second: Any) -> None:
    a, b = _structure(first), _structure(second)
    if a != b:
        raise ValueError(
            "Shape inference ran the call twice (with batch-like sizes "
            f"{_PROBE_SIZES[0]} and {_PROBE_SIZES[1]} for unknown dimensions) and got outputs of "
            f"different structure or rank: {first} vs {second}. The output's nesting and rank must "
            "not depend on the input sizes; otherwise implement `compute_output_shape`."
        )


class stateless:  # noqa: N801 (a context manager, used like a function)
    """Keeps a layer's state as it was across a shape-inference run: the buffers of its
    modules, the losses its layers added, and the state of metrics they hold."""

    def __init__(self, layer: torch.nn.Module):
        self.layer = layer

    def __enter__(self) -> stateless:
        modules = list(self.layer.modules())
        self.buffers = [(b, b.detach().clone()) for m in modules for b in m.buffers(recurse=False)]
        self.losses = [(m, list(m.__dict__["_losses"])) for m in modules if "_losses" in m.__dict__]
        metric_variables = [v for m in modules for metric in owned_metrics(m) for v in metric.variables]
        self.metric_variables = [(v, v.detach().clone()) for v in metric_variables]
        return self

    def __exit__(self, *exc_info: Any) -> None:
        with torch.no_grad():
            for tensor, value in self.buffers + self.metric_variables:
                if not isinstance(tensor, FakeTensor) and tensor.shape == value.shape:
                    tensor.copy_(value)
        for module, losses in self.losses:
            module.__dict__["_losses"] = losses


# Types of most module attributes, rejected before looking for metric methods (`owned_metrics`
# scans every attribute of every module each time a model lists its metrics).
_PLAIN_TYPES = frozenset(
    {str, int, float, bool, type(None), dict, OrderedDict, list, tuple, set, torch.dtype, torch.device}
)


def is_metric(value: Any) -> bool:
    """Whether `value` is a Keras-style metric (the layers sit below `metrics` in the imports)."""
    return (
        type(value) not in _PLAIN_TYPES
        and not isinstance(value, (type, torch.nn.Module, torch.Tensor))
        and callable(getattr(value, "update_state", None))
        and callable(getattr(value, "reset_state", None))
        and callable(getattr(value, "result", None))
    )


def owned_metrics(module: torch.nn.Module) -> list[Any]:
    """The metrics assigned as attributes of `module` (not of its sublayers), in order."""
    return [value for value in module.__dict__.values() if is_metric(value)]


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
    # Keras runs this pass statelessly: buffers, added losses and metric state stay as they were.
    try:
        with stateless(layer):
            outputs = layer.compute_output_spec(*args, **call_kwargs)
    except (ValueError, TypeError):
        raise
    except Exception as error:
        if not isinstance(error, InferenceError):
            error = f"{type(error).__name__}: {error}"
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) could not be called on inputs with "
            f"shapes {shape_of(list(args))}: {error}. If its `call` cannot run on placeholder data, "
            "implement `compute_output_shape(input_shape)` (or `compute_output_spec`)."
        ) from error
    node = Node(layer, args, kwargs, outputs)
    layer._inbound_nodes.append(node)
    for index, tensor in enumerate(node.output_tensors):
        tensor._keras_history = (node, index)
    return outputs
