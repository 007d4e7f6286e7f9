"""`Lambda`: wraps a function as a layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import get_custom_objects, get_registered_name, register_builtin

__all__ = ["Lambda"]


@register_builtin
class Lambda(Layer):
    """Wraps an arbitrary function (torch code or `keras.ops`) as a layer.

    Saving a model with a `Lambda` works only when `function` was registered with
    `keras.saving.register_keras_serializable()`: its name is saved, never its code, so loading
    a file cannot run code from it. Prefer a `Layer` subclass for anything reusable.

    Args:
        function: the function to call on the inputs.
        output_shape: optional output shape (used when the shape cannot be inferred).
        mask: optional mask, or function `(inputs, mask) -> mask`.
        arguments: optional dict of keyword arguments passed to `function`.
    """

    def __init__(
        self,
        function: Callable,
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda: `function` must be callable. Received: function={function!r}")
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.arguments = dict(arguments or {})
        self.supports_masking = mask is not None
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if self._output_shape is not None:  # as Keras: the given shape, `function` is not traced
            return self._spec_from_output_shape(args, kwargs)
        return super().compute_output_spec(*args, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        return (input_shape[0], *tuple(self._output_shape))

    def get_config(self) -> dict:
        name = get_registered_name(self.function)
        if get_custom_objects().get(name) is not self.function:
            raise ValueError(
                f"Lambda '{self.name}' wraps {self.function!r}, which cannot be saved: torchkeras "
                "never saves code. Register the function with "
                "`keras.saving.register_keras_serializable()` (it is then saved by name), or write "
                "a `Layer` subclass."
            )
        output_shape = self._output_shape if not callable(self._output_shape) else None
        return {
            **super().get_config(),
            "function": name,
            "output_shape": list(output_shape) if output_shape is not None else None,
            "arguments": self.arguments,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Lambda:
        from torchkeras.utils.registry import get_registered_object

        config = dict(config)
        function = config.pop("function")
        if not isinstance(function, str):
            raise ValueError("Lambda: only a registered function name can be loaded, never code.")
        resolved = get_registered_object(function, custom_objects, include_builtins=False)
        if resolved is None or not callable(resolved):
            raise ValueError(
                f"Lambda: unknown function {function!r}. Pass it in `custom_objects` or register it "
                "with `keras.saving.register_keras_serializable()`."
            )
        return cls(resolved, **config)
