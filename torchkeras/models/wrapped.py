"""`WrappedModule`: what `keras.Model(torch_module)` returns."""

from __future__ import annotations

import inspect
from typing import Any

import torch

from torchkeras.models.model import Model
from torchkeras.utils.registry import to_snake_case

__all__ = ["WrappedModule"]


class WrappedModule(Model):
    """Gives any `torch.nn.Module` Keras's model API without changing it.

    Its call is the module's `forward`: a tuple or list of inputs becomes positional arguments,
    a dict becomes keyword arguments (so a dict batch, labels included, feeds a HuggingFace-style
    module). Its weights are the module's parameters (and floating buffers), in
    `module.parameters()` order.

    A module that returns a dict, namedtuple or dataclass with a `loss` entry trains on that loss
    when `compile` has no loss; metrics and `predict` see its `prediction_key` entry (by default
    `"logits"`, else the only other entry).

    Args:
        module: the torch module.
        name: model name; the module's class name in snake case by default.
        prediction_key: the output entry metrics and `predict` use (also settable later as
            `model.prediction_key`).

    Example:
    ```python
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    model = keras.Model(net)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=3)
    ```
    """

    def __init__(
        self,
        module: torch.nn.Module,
        name: str | None = None,
        prediction_key: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(name=name or to_snake_case(type(module).__name__), **kwargs)
        self.module = module
        self.prediction_key = prediction_key
        self.built = True

    def call(self, inputs: Any) -> Any:
        args, kwargs = (), {}
        if isinstance(inputs, dict):
            kwargs = inputs
        elif isinstance(inputs, (list, tuple)):
            args = tuple(inputs)
        else:
            args = (inputs,)
        try:
            return self.module(*args, **kwargs)
        except TypeError as error:
            self._explain_arguments(args, kwargs, error)
            raise

    def _explain_arguments(self, args: tuple, kwargs: dict, error: TypeError) -> None:
        """Raises a clearer error when the inputs do not fit `forward`'s signature."""
        try:
            inspect.signature(self.module.forward).bind(*args, **kwargs)
        except TypeError as mismatch:
            given = f"{len(args)} positional input(s)" if not kwargs else f"keyword inputs {sorted(kwargs)}"
            raise TypeError(
                f"{type(self.module).__name__}.forward() cannot take {given} ({mismatch}). Each batch is "
                "read as (x, y, sample_weight): a tuple or list of 2 or 3 elements is split into "
                "x, y and sample_weight, and x is passed to forward() (a tuple as positional "
                "arguments, a dict as keyword arguments). To pass several inputs, make x itself a "
                "tuple or dict: `fit((x1, x2), y)` or batches `((x1, x2), y)` / `({'a': x1, 'b': x2}, y)`."
            ) from error
        except ValueError:  # no signature to check
            return

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Model '{self.name}' wraps a plain torch module ({type(self.module).__name__}), which has "
            "no Keras config. Save its weights with `save_weights()`, a self-contained program with "
            "`export()`, or write it as a registered Layer subclass to save the whole model."
        )
