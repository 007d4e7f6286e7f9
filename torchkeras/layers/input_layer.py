"""`Input()` and `InputLayer`: the entry points of a functional model."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.keras_tensor import KerasTensor, Node
from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["Input", "InputLayer"]


def _check_shape(shape: Any, owner: str) -> tuple:
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(
        d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0) for d in shape
    ):
        raise invalid("shape", "must be a tuple of non-negative integers or None", shape, owner)
    return tuple(shape)


@register_builtin
class InputLayer(Layer):
    """The layer behind `Input()`: holds a symbolic placeholder for the model's input.

    Args:
        shape: shape of one sample (without the batch dimension).
        batch_size: optional fixed batch size.
        dtype: dtype of the input; floatx by default.
        sparse: accepted for compatibility; sparse inputs are densified.
        batch_shape: full shape including the batch dimension (instead of `shape`).
        input_tensor: accepted for Keras compatibility; must be `None`.
        optional: whether the input may be `None` when the model is called.
        name: layer name.
    """

    def __init__(
        self,
        shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        batch_shape: Any = None,
        input_tensor: Any = None,
        optional: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(name=name, dtype=dtype)
        if "input_shape" in kwargs or "batch_input_shape" in kwargs:
            shape = kwargs.get("input_shape", shape)
            batch_shape = kwargs.get("batch_input_shape", batch_shape)
        if shape is not None and batch_shape is not None:
            raise ValueError("InputLayer: pass either `shape` or `batch_shape`, not both.")
        if batch_shape is not None:
            batch_shape = _check_shape(batch_shape, "InputLayer")
        elif shape is not None:
            batch_shape = (batch_size, *_check_shape(shape, "InputLayer"))
        else:
            raise ValueError("InputLayer: `shape` is required (e.g. shape=(32,)).")
        if input_tensor is not None:
            raise ValueError("InputLayer: `input_tensor` is not supported; use `shape`.")
        self._accepts_text = self.dtype == "string"
        self.batch_shape = batch_shape
        self.sparse = bool(sparse)
        self.optional = optional
        self.built = True
        output = KerasTensor(batch_shape, dtype=self.dtype, name=self.name)
        node = Node(self, (), {}, output)
        self._inbound_nodes.append(node)
        output._keras_history = (node, 0)
        self.output_tensor = output

    def call(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict:
        return {
            "batch_shape": list(self.batch_shape),
            "dtype": self.dtype,
            "sparse": self.sparse,
            "optional": self.optional,
            "name": self.name,
        }


def Input(  # noqa: N802 (Keras's name)
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    batch_shape: Any = None,
    name: str | None = None,
    tensor: Any = None,
    optional: bool = False,
) -> KerasTensor:
    """Creates a symbolic input for a functional model.

    Args:
        shape: shape of one sample, e.g. `(32,)` or `(None, 64)`; no batch dimension.
        batch_size: optional fixed batch size.
        dtype: input dtype; floatx by default.
        sparse: accepted for compatibility.
        batch_shape: full shape including the batch dimension.
        name: name of the input (used to match dict data in `fit`).
        tensor: not supported; must be `None`.
        optional: whether the input may be `None`.

    Returns:
        A `KerasTensor`.

    Example:
    ```python
    x = keras.Input(shape=(16,))
    y = keras.layers.Dense(4)(x)
    model = keras.Model(x, y)
    ```
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        input_tensor=tensor,
        optional=optional,
        name=name,
    )
    return layer.output_tensor
