"""`Operation`: Keras's base for a computation usable on tensors and on symbolic `KerasTensor`s.

A subclass implements `call` (torch code) and, optionally, `compute_output_spec` (otherwise the
output is inferred by running `call` on fake tensors). Called on real tensors it computes;
called on `KerasTensor`s it records a graph node, so it can sit in a functional model. Every
`Layer` is an `Operation` too (`isinstance(layer, keras.Operation)` holds), as in Keras.
"""

from __future__ import annotations

from typing import Any

from torchkeras.layers.keras_tensor import any_symbolic
from torchkeras.layers.layer import Layer
from torchkeras.layers.torch_function import TorchFunction
from torchkeras.utils import naming

__all__ = ["Operation"]


class _OperationType(type):
    """Makes every `Layer` count as an `Operation`, as Keras's class tree has it."""

    def __instancecheck__(cls, instance: Any) -> bool:
        return super().__instancecheck__(instance) or (cls is Operation and isinstance(instance, Layer))

    def __subclasscheck__(cls, subclass: type) -> bool:
        return super().__subclasscheck__(subclass) or (
            cls is Operation and isinstance(subclass, type) and issubclass(subclass, Layer)
        )


class Operation(metaclass=_OperationType):
    """A stateless computation that works on tensors and on symbolic inputs.

    Args:
        name: the operation's name; generated from the class name when omitted.

    Example:
    ```python
    class Double(keras.Operation):
        def call(self, x):
            return x * 2

        def compute_output_spec(self, x):
            return keras.KerasTensor(x.shape, x.dtype)

    y = Double()(keras.ops.ones((2, 3)))
    z = Double()(keras.Input((3,)))  # symbolic: shape (None, 3)
    ```
    """

    def __init__(self, name: str | None = None):
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"Argument `name` must be a string without '/'. Received: name={name!r}")
        self.name = name or naming.unique_name(type(self).__name__)
        self._node_layer: _OperationLayer | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if any_symbolic((args, kwargs)):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def symbolic_call(self, *args: Any, **kwargs: Any) -> Any:
        """Records this operation as a graph node and returns its symbolic outputs."""
        if getattr(self, "_node_layer", None) is None:
            self._node_layer = _OperationLayer(self)
        return self._node_layer(*args, **kwargs)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"Operation {type(self).__name__} must implement `call()`.")

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Output `KerasTensor`(s) for symbolic inputs; by default `call` runs on fake tensors."""
        from torchkeras.layers import symbolic

        return symbolic.compute_output_spec(self.call, args, kwargs)

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> Operation:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class _OperationLayer(TorchFunction):
    """The weightless graph node standing for an `Operation` in a functional graph (like a torch
    function, it is not listed in `Model.layers`)."""

    def __init__(self, operation: Operation):
        super().__init__(operation.call, name=operation.name)
        self.__dict__["operation"] = operation  # not a submodule

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return self.operation.call(*args, **kwargs)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        return self.operation.compute_output_spec(*args, **kwargs)
