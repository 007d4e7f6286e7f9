"""`WrappedModule`: what `keras.Model(torch_module)` returns."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.models.model import Model
from torchkeras.utils.registry import to_snake_case

__all__ = ["WrappedModule"]


class WrappedModule(Model):
    """Gives any `torch.nn.Module` Keras's model API without changing it.

    Its call is the module's `forward`: a tuple or list of inputs becomes positional arguments,
    a dict becomes keyword arguments. Its weights are the module's parameters (and floating
    buffers), in `module.parameters()` order.

    Args:
        module: the torch module.
        name: model name; the module's class name in snake case by default.

    Example:
    ```python
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    model = keras.Model(net)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=3)
    ```
    """

    def __init__(self, module: torch.nn.Module, name: str | None = None, **kwargs: Any):
        super().__init__(name=name or to_snake_case(type(module).__name__), **kwargs)
        self.module = module
        self.built = True

    def call(self, inputs: Any) -> Any:
        if isinstance(inputs, dict):
            return self.module(**inputs)
        if isinstance(inputs, (list, tuple)):
            return self.module(*inputs)
        return self.module(inputs)

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Model '{self.name}' wraps a plain torch module ({type(self.module).__name__}), which has "
            "no Keras config. Save its weights with `save_weights()`, a self-contained program with "
            "`export()`, or write it as a registered Layer subclass to save the whole model."
        )
