"""`TorchFunction`: the graph node for a torch function applied to symbolic tensors."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.layer import Layer
from torchkeras.ops._symbolic import OutputSpec, declared_output_spec
from torchkeras.utils import naming

__all__ = ["TorchFunction"]


class TorchFunction(Layer):
    """Wraps a torch function (e.g. `torch.Tensor.__mul__`, `torch.cat`) as a weightless layer.

    Created when a torch function or operator is applied to a `KerasTensor`, so functional
    models can use `x * 2`, `x[:, 0]` or `keras.ops.*` between layers. Not listed in
    `Model.layers`, as Keras lists only layers.

    Args:
        function: the torch function to call.
    """

    def __init__(self, function: Any, **kwargs: Any):
        name = getattr(function, "__name__", "function").strip("_")
        super().__init__(name=kwargs.pop("name", None) or naming.unique_name(f"torch_{name}"), **kwargs)
        self.function = function
        self.built = True

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """The output the op declares (ops whose sizes depend on the data), else traced."""
        declared = declared_output_spec(self.function, args, kwargs)
        if declared is None:
            return super().compute_output_spec(*args, **kwargs)
        return _keras_tensors(declared)

    def get_config(self) -> dict:
        owner = getattr(self.function, "__qualname__", "")
        return {"name": self.name, "function": f"{self.function.__module__ or 'torch'}:{owner}"}


def _keras_tensors(declared: Any) -> Any:
    if isinstance(declared, OutputSpec):
        return KerasTensor(declared.shape, dtype=declared.dtype)
    return type(declared)(_keras_tensors(item) for item in declared)
