"""Symbolic tensors: what `Input()` returns and what layers called on it produce.

A `KerasTensor` carries a shape (with `None` for unknown sizes) and a dtype, plus the node that
produced it. Any torch function applied to one (`x * 2`, `x[:, 0]`, `torch.cat`, `keras.ops.*`)
becomes a graph node through `__torch_function__`, so functional models can mix layers and ops.
"""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config

__all__ = ["DTypeName", "KerasTensor", "Node", "any_symbolic", "is_keras_tensor"]


class Node:
    """One call of a layer on symbolic inputs: the layer, its arguments and its outputs."""

    def __init__(self, layer: Any, args: tuple, kwargs: dict, outputs: Any):
        from torchkeras.utils.nest import flatten

        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.input_tensors = [t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        self.output_tensors = [t for t in flatten(outputs) if isinstance(t, KerasTensor)]
        # Fast path for the common `layer(x)` call.
        self.single_input = len(args) == 1 and not kwargs and isinstance(args[0], KerasTensor)

    @property
    def parent_nodes(self) -> list[Node]:
        return [t._keras_history[0] for t in self.input_tensors if t._keras_history is not None]


class DTypeName(str):
    """A dtype name (`"float32"`, as Keras's `KerasTensor.dtype`) that also equals the torch
    dtype it names, so `x.dtype == torch.float32` reads as on a tensor."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, torch.dtype):
            return self != "string" and config.torch_dtype(str(self)) == other
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__


class KerasTensor:
    """A symbolic tensor with a static `shape` (ints or `None`) and a `dtype` name.

    Args:
        shape: tuple of ints or `None`.
        dtype: dtype name (`"float32"`) or torch dtype; defaults to floatx.
        name: optional name (inputs use it to match dict data).
    """

    def __init__(self, shape: tuple, dtype: Any = None, name: str | None = None, sparse: bool = False):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = DTypeName(config.standardize_dtype(dtype))
        # Resolved once for code that runs every step (a `str` subclass's `==` stops Dynamo).
        self._torch_dtype = None if self.dtype == "string" else config.torch_dtype(self.dtype)
        self.name = name
        self.sparse = sparse
        self._keras_history: tuple[Node, int] | None = None
        self._keras_mask: KerasTensor | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def T(self) -> KerasTensor:  # noqa: N802 (torch's name)
        """All axes reversed, as `tensor.T`."""
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> KerasTensor:  # noqa: N802 (torch's name)
        """The last two axes swapped, as `tensor.mT`."""
        if self.ndim < 2:
            raise ValueError(f"`mT` needs a tensor of rank 2 or more. Received: shape={self.shape}")
        return torch.transpose(self, -2, -1)

    @property
    def device(self) -> torch.device:
        """A placeholder lives nowhere; the CPU is where layers create their weights."""
        return torch.device("cpu")

    def __repr__(self) -> str:
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{name}>"

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        raise TypeError("A symbolic KerasTensor has no truth value; use `keras.ops` functions instead.")

    def __len__(self) -> int:
        if self.shape and self.shape[0] is not None:
            return self.shape[0]
        raise TypeError(f"len() of a KerasTensor with unknown first dimension: shape={self.shape}")

    def __iter__(self):
        raise TypeError("A symbolic KerasTensor cannot be iterated; use `keras.ops.unstack`.")

    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        from torchkeras.layers.torch_function import TorchFunction

        return TorchFunction(func)(*args, **(kwargs or {}))

    def __getattr__(self, name: str) -> Any:
        # Tensor methods (`x.reshape(...)`, `x.float()`) become graph nodes too.
        if name.startswith("_") or not hasattr(torch.Tensor, name):
            raise AttributeError(f"'KerasTensor' object has no attribute {name!r}")
        method = getattr(torch.Tensor, name)

        def bound(*args: Any, **kwargs: Any) -> Any:
            return KerasTensor.__torch_function__(method, (), (self, *args), kwargs)

        return bound


def _binary(method: Any) -> Any:
    def operator(self: KerasTensor, other: Any) -> Any:
        return KerasTensor.__torch_function__(method, (), (self, other), {})

    return operator


def _unary(method: Any) -> Any:
    def operator(self: KerasTensor) -> Any:
        return KerasTensor.__torch_function__(method, (), (self,), {})

    return operator


_ARITHMETIC = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor")
for _name in _ARITHMETIC:
    setattr(KerasTensor, f"__{_name}__", _binary(getattr(torch.Tensor, f"__{_name}__")))
    setattr(KerasTensor, f"__r{_name}__", _binary(getattr(torch.Tensor, f"__r{_name}__")))
for _name in ("lt", "le", "gt", "ge", "getitem"):
    setattr(KerasTensor, f"__{_name}__", _binary(getattr(torch.Tensor, f"__{_name}__")))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(KerasTensor, f"__{_name}__", _unary(getattr(torch.Tensor, f"__{_name}__")))
del _name


def is_keras_tensor(value: Any) -> bool:
    """Whether `value` is a symbolic `KerasTensor`."""
    return isinstance(value, KerasTensor)


def any_symbolic(structure: Any) -> bool:
    """Whether a nested structure of arguments holds a `KerasTensor`."""
    if isinstance(structure, KerasTensor):
        return True
    if isinstance(structure, (list, tuple)):
        return any(any_symbolic(item) for item in structure)
    if isinstance(structure, dict):
        return any(any_symbolic(item) for item in structure.values())
    return False
