"""`Variable`: a torch parameter (or buffer) that also answers Keras's Variable API.

A layer's weights are `Variable`s, but a layer may also hold plain torch tensors (the parameters
and buffers of a torch module inside it). The functions at the end give any weight's Keras view
(shape, NumPy value, name, assignment) whichever of the two it is.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from torchkeras import config, initializers
from torchkeras.utils import naming, stateless_scope
from torchkeras.utils.name_scope import scoped_path
from torchkeras.utils.nest import to_tensor

__all__ = ["Permuted", "Variable", "assign_array", "keras_numpy", "keras_shape", "weight_name"]


class Permuted:
    """Storage layout: the stored tensor is the Keras value with its axes permuted.

    Conv kernels are stored in torch's `(out, in, *k)` order so every step feeds the kernel
    directly; Keras's `(*k, in, out)` is produced only by `numpy()` / `get_weights()`.

    Args:
        axes: the permutation taking the Keras layout to the stored layout.
    """

    def __init__(self, axes: Sequence[int]):
        self.axes = tuple(axes)
        self.inverse = tuple(int(i) for i in np.argsort(self.axes))

    def to_keras(self, stored: torch.Tensor) -> torch.Tensor:
        return stored.permute(self.inverse)

    def from_keras(self, value: torch.Tensor) -> torch.Tensor:
        return value.permute(self.axes)


class Variable(torch.nn.Parameter):
    """A weight: a `torch.nn.Parameter` with Keras's Variable API (`keras.Variable`).

    Trainable variables are registered as parameters, non-trainable ones as buffers, so
    optimizers, `state_dict`, `torch.compile` and DDP see ordinary torch state. Assigned to a
    layer attribute, a variable becomes one of the layer's weights.

    Args:
        initializer: the initial value (tensor, array, number), or an initializer (name,
            instance or callable) called with `shape` and `dtype`.
        shape: the shape, required when `initializer` is not a value.
        dtype: dtype of the variable; the value's own dtype (floatx for Python floats) by default.
        trainable: whether gradients flow to it (`requires_grad`).
        autocast, aggregation, synchronization: accepted for Keras compatibility.
        name: the Keras name (e.g. `"kernel"`).
        path: `"<layer name>/<name>"`; by default `name` under the open `keras.name_scope`s.
        layout: optional object with `to_keras` / `from_keras` when the stored tensor is not in
            Keras's layout (see `Permuted`).
        regularizer: optional callable penalty, collected into the owning layer's `losses`.
        constraint: optional callable projecting the value after each optimizer update.
        overwrite_with_gradient: the optimizer replaces the value by its gradient instead of
            updating it (float8 scales and amax histories).

    Example:
    ```python
    v = keras.Variable(initializer="ones", shape=(2, 3), name="v")
    v.assign(v * 2.0)
    ```
    """

    def __new__(
        cls,
        initializer: Any = None,
        shape: Sequence[int] | None = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        aggregation: str = "none",
        synchronization: str = "auto",
        name: str | None = None,
        layout: Any = None,
        *,
        path: str | None = None,
        regularizer: Callable | None = None,
        constraint: Callable | None = None,
        overwrite_with_gradient: bool = False,
    ) -> Variable:
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"Argument `name` must be a string without '/'. Received: name={name!r}")
        data = _initial_value(initializer, shape, dtype)
        variable = torch.Tensor._make_subclass(cls, data, trainable and data.is_floating_point())
        variable._keras_name = name or naming.unique_name("Variable")
        variable._keras_path = scoped_path(path or variable._keras_name)
        variable._layout = layout
        variable._trainable = trainable
        variable.autocast = autocast
        variable.aggregation = aggregation
        variable.synchronization = synchronization
        variable.regularizer = regularizer
        variable.constraint = constraint
        variable.overwrite_with_gradient = overwrite_with_gradient
        return variable

    def __deepcopy__(self, memo: dict) -> Variable:
        if id(self) in memo:
            return memo[id(self)]
        result = Variable(
            self.data.clone(memory_format=torch.preserve_format),
            trainable=self._trainable,
            name=self._keras_name,
        )
        result.requires_grad_(self.requires_grad)
        result.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = result
        return result

    def rewrap(self, data: torch.Tensor) -> Variable:
        """Returns a Variable over `data` carrying this one's metadata (after `.to(device)`)."""
        variable = Variable(data, trainable=self._trainable, name=self._keras_name)
        variable.requires_grad_(self.requires_grad and data.is_floating_point())
        variable.__dict__.update(self.__dict__)
        return variable

    @property
    def name(self) -> str:
        return self._keras_name

    @property
    def path(self) -> str:
        return self._keras_path

    @property
    def value(self) -> torch.Tensor:
        """The tensor itself, as in Keras's torch backend (`v.value.grad` works); inside a
        `StatelessScope` that maps or assigned this variable, the scope's value."""
        scope = stateless_scope.current()
        if scope is not None:
            scoped = scope.stored_value(self)
            if scoped is not None:
                return scoped
        return self

    @property
    def trainable(self) -> bool:
        return self._trainable and self.requires_grad

    @trainable.setter
    def trainable(self, value: bool) -> None:
        if self._trainable:
            self.requires_grad_(bool(value))

    @property
    def keras_shape(self) -> tuple[int, ...]:
        """The shape in Keras's layout (what `get_weights()` returns)."""
        if self._layout is None:
            return tuple(self.shape)
        return tuple(self._layout.to_keras(self.detach()).shape)

    def keras_view(self) -> torch.Tensor:
        """The value in Keras's layout, still attached to autograd (for penalties)."""
        return self if self._layout is None else self._layout.to_keras(self)

    def constrained(self) -> torch.Tensor:
        """The stored tensor after its constraint, applied in Keras's layout (axes as Keras's)."""
        if self.constraint is None:
            return self
        if self._layout is None:
            return self.constraint(self)
        return self._layout.from_keras(self.constraint(self._layout.to_keras(self)))

    def keras_value(self) -> torch.Tensor:
        """The detached value in Keras's layout."""
        scope = stateless_scope.current()
        if scope is not None and scope.get_current_value(self) is not None:
            return scope.get_current_value(self).detach()
        value = self.detach()
        return value if self._layout is None else self._layout.to_keras(value)

    def numpy(self, *, force: bool | None = None) -> np.ndarray:  # type: ignore[override]
        """The value in Keras's layout as a NumPy array.

        Called torch's way (`numpy(force=...)`, as torch's own tools such as the ONNX exporter
        do), it returns the stored tensor in torch's layout, like `torch.Tensor.numpy`.
        """
        if force is not None:
            return torch.Tensor.numpy(self.detach(), force=force)
        value = self.keras_value()
        if value.dtype == torch.bfloat16:
            value = value.float()
        return value.cpu().numpy().copy()

    def _stored(self, value: Any) -> torch.Tensor:
        value = to_tensor(value, dtype=self.dtype, device=self.device)
        return value if self._layout is None else self._layout.from_keras(value)

    def assign(self, value: Any) -> Variable:
        """Sets the value (given in Keras's layout) in place; inside a `StatelessScope`, records
        it in the scope instead."""
        scope = stateless_scope.current()
        if scope is not None:
            scope.add_update((self, to_tensor(value, dtype=self.dtype, device=self.device)))
            return self
        with torch.no_grad():
            self.copy_(self._stored(value))
        return self

    def assign_add(self, delta: Any) -> Variable:
        scope = stateless_scope.current()
        if scope is not None:
            return self.assign(self.keras_value() + to_tensor(delta, dtype=self.dtype, device=self.device))
        with torch.no_grad():
            self.add_(self._stored(delta))
        return self

    def assign_sub(self, delta: Any) -> Variable:
        scope = stateless_scope.current()
        if scope is not None:
            return self.assign(self.keras_value() - to_tensor(delta, dtype=self.dtype, device=self.device))
        with torch.no_grad():
            self.sub_(self._stored(delta))
        return self


# ------------------------------------------------------ the Keras view of any weight


def keras_shape(tensor: torch.Tensor) -> tuple[int, ...]:
    """The shape of any weight in Keras's layout."""
    return tensor.keras_shape if isinstance(tensor, Variable) else tuple(tensor.shape)


def keras_numpy(tensor: torch.Tensor) -> np.ndarray:
    """The value of any weight in Keras's layout, as NumPy (bfloat16 as float32)."""
    if isinstance(tensor, Variable):
        return tensor.numpy()
    return (
        tensor.detach().float().cpu().numpy()
        if tensor.dtype == torch.bfloat16
        else tensor.detach().cpu().numpy()
    )


def weight_name(tensor: torch.Tensor) -> str:
    """The Keras path of a `Variable`; `"weight"` for a plain tensor."""
    return tensor.path if isinstance(tensor, Variable) else "weight"


def assign_array(tensor: torch.Tensor, array: np.ndarray) -> None:
    """Sets any weight from an array in Keras's layout."""
    if isinstance(tensor, Variable):
        tensor.assign(array)
    else:
        with torch.no_grad():
            tensor.copy_(torch.as_tensor(array, dtype=tensor.dtype))


def _initial_value(initializer: Any, shape: Sequence[int] | None, dtype: Any) -> torch.Tensor:
    """The starting tensor of a Variable: a given value, or an initializer called on `shape`."""
    torch_dtype = None if dtype is None else config.torch_dtype(dtype)
    if isinstance(initializer, str) or (callable(initializer) and not isinstance(initializer, torch.Tensor)):
        if shape is None:
            raise ValueError(
                "When creating a Variable from an initializer, the `shape` argument must be given. "
                f"Received: initializer={initializer!r} and shape=None"
            )
        shape = tuple(int(d) for d in shape)
        torch_dtype = torch_dtype or config.torch_dtype(None)
        value = initializers.get(initializer)(shape, dtype=torch_dtype)
        return torch.as_tensor(value, dtype=torch_dtype)
    if initializer is None:
        raise ValueError("Argument `initializer` must be a value or an initializer. Received: None")
    if isinstance(initializer, torch.Tensor):
        value = initializer if torch_dtype is None else initializer.to(torch_dtype)
    elif isinstance(initializer, (bool, int, float)) and torch_dtype is None:
        kind = "bool" if isinstance(initializer, bool) else "int32" if isinstance(initializer, int) else None
        value = torch.tensor(initializer, dtype=config.torch_dtype(kind))
    else:
        value = to_tensor(initializer, dtype=torch_dtype)
    if shape is not None and tuple(value.shape) != tuple(int(d) for d in shape):
        raise ValueError(
            f"Argument `shape` must match the initial value's shape {tuple(value.shape)}. "
            f"Received: shape={tuple(shape)}"
        )
    return value
