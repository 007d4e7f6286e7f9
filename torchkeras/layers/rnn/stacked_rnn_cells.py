"""`StackedRNNCells`: several RNN cells acting as one (each feeds the next within a step)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from torchkeras import config as _config
from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn.layer_serialization import deserialize_layer, serialize_layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["StackedRNNCells"]


def _output_size(cell: Any) -> int:
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size


@register_builtin
class StackedRNNCells(Layer):
    """Wraps a list of RNN cells so that an `RNN` runs them as one stacked cell.

    Args:
        cells: list of RNN cells; the output of each is the input of the next.

    Example:
    ```python
    cells = [keras.layers.LSTMCell(16), keras.layers.LSTMCell(8)]
    layer = keras.layers.RNN(keras.layers.StackedRNNCells(cells))
    y = layer(np.zeros((2, 5, 3)))  # shape (2, 8)
    ```
    """

    def __init__(self, cells: Sequence[Any], **kwargs: Any):
        super().__init__(**kwargs)
        for cell in cells:
            if not callable(getattr(cell, "call", None)) or getattr(cell, "state_size", None) is None:
                raise invalid(
                    "cells",
                    "must all have a `call` method and a `state_size`",
                    cell,
                    f"StackedRNNCells '{self.name}'",
                )
        self.cells = list(cells)

    @property
    def state_size(self) -> list:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size: int | None = None) -> list:
        states = []
        dtype = _config.torch_dtype(self.compute_dtype)
        for cell in self.cells:
            make = getattr(cell, "get_initial_state", None)
            if make is not None:
                states.append(make(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(torch.zeros((batch_size, cell.state_size), dtype=dtype))
            else:
                states.append([torch.zeros((batch_size, size), dtype=dtype) for size in cell.state_size])
        return states

    def build(self, input_shape: tuple) -> None:
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_device = self._build_device
                cell.build(input_shape)
            input_shape = (input_shape[0], _output_size(cell))

    def call(self, inputs: torch.Tensor, states: Any, training: bool = False, **kwargs: Any) -> tuple:
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            nested = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if nested else [cell_states]
            call = cell.__call__ if callable(cell) else cell.call
            extra = {"training": training} if isinstance(cell, Layer) else {}
            inputs, cell_states = call(inputs, cell_states, **extra, **kwargs)
            if isinstance(cell_states, (list, tuple)) and len(cell_states) == 1 and not nested:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        if len(new_states) == 1:
            new_states = new_states[0]
        return inputs, new_states

    def get_config(self) -> dict:
        return {**super().get_config(), "cells": [serialize_layer(cell) for cell in self.cells]}

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> StackedRNNCells:
        config = dict(config)
        cells = [deserialize_layer(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
