"""`RNN`: runs a cell over the time axis (the base of SimpleRNN, LSTM and GRU)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from torchkeras import config as _config
from torchkeras.layers import symbolic
from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn import recurrence
from torchkeras.layers.rnn.base_rnn_cell import BaseRNNCell
from torchkeras.layers.rnn.layer_serialization import deserialize_layer, serialize_layer
from torchkeras.layers.rnn.stacked_rnn_cells import StackedRNNCells
from torchkeras.utils.nest import flatten, map_structure, pack_like, to_tensor
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["RNN"]

_FAST_METHODS = ("call", "_project_inputs", "_step_function", "_fused", "_can_fuse")
_BUILTIN_CELL_TYPES: dict[type, bool] = {}


def _is_builtin_cell(cell: Any) -> bool:
    """A built-in cell whose computation a subclass has not overridden (so the fast paths apply)."""
    cls = type(cell)
    if cls not in _BUILTIN_CELL_TYPES:
        _BUILTIN_CELL_TYPES[cls] = issubclass(cls, BaseRNNCell) and all(
            getattr(cls, m).__module__.startswith("torchkeras.layers.rnn.") for m in _FAST_METHODS
        )
    return _BUILTIN_CELL_TYPES[cls]


@register_builtin
class RNN(Layer):
    """Base class for recurrent layers: applies `cell` to each timestep of a sequence.

    Built-in cells (`SimpleRNNCell`, `LSTMCell`, `GRUCell`) run as one fused torch kernel (cuDNN
    on CUDA) whenever the configuration allows: standard activations, no recurrent dropout while
    training, GRU `reset_after=True`, and no mask or a right-padded one. Otherwise a step loop runs,
    with the input projections of all timesteps computed in one matmul. Both give the same numbers.
    On CUDA the cell's weights are moved once into one cuDNN buffer (as
    `torch.nn.LSTM.flatten_parameters()` does), so calls pay no weight copies.

    Args:
        cell: an RNN cell (a layer with `state_size` and `call(inputs, states)` returning
            `(output, new_states)`), or a list of cells (stacked with `StackedRNNCells`).
        return_sequences: whether to return the whole output sequence or only the last output.
        return_state: whether to also return the final states.
        go_backwards: process the sequence backwards (outputs come back in processing order).
        stateful: reuse each batch's final states as the next batch's initial states (needs a
            fixed batch size); `reset_state()` zeroes them.
        unroll: accepted for Keras compatibility (the result is the same either way).
        zero_output_for_mask: whether masked steps output zeros instead of the previous output.

    Call arguments:
        sequences: `(batch, timesteps, ...)` tensor.
        initial_state: optional list of initial state tensors (zeros by default).
        mask: optional boolean `(batch, timesteps)`; `False` steps are skipped (states carry over).
        training: passed to the cell (dropout).

    Output shape:
        `(batch, units)`, or `(batch, timesteps, units)` with `return_sequences`; with
        `return_state`, a tuple `(output, *final_states)`.

    Example:
    ```python
    layer = keras.layers.RNN(keras.layers.LSTMCell(8), return_sequences=True)
    y = layer(np.zeros((2, 5, 3)))  # shape (2, 5, 8)
    ```
    """

    input_rank: int | None = None  # SimpleRNN, LSTM and GRU take exactly rank-3 inputs

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        super().__init__(**kwargs)
        owner = self._owner()
        if not callable(getattr(cell, "call", None)):
            raise invalid("cell", "must have a `call(inputs, states)` method", cell, owner)
        state_size = getattr(cell, "state_size", None)
        if not isinstance(state_size, (int, list, tuple)) or isinstance(state_size, bool):
            raise invalid("cell", "must have a `state_size` (an integer or a list of integers)", cell, owner)
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)
        self.supports_masking = True
        self._state_count = 0  # stateful: how many `_rnn_state_<i>` buffers hold the states
        self._structure: Any = None  # nesting of the cell's states (from `get_initial_state`)
        self._expected_batch_size: int | None = None

    def _owner(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    # ---------------------------------------------------------------------------- build

    def _check_rank(self, rank: int, argument: str, shape: Any) -> None:
        wrong = rank != self.input_rank if self.input_rank else rank < 3
        if wrong:
            expected = "3" if self.input_rank else "3 or more"
            raise ValueError(
                f"{self._owner()}: expected inputs of rank {expected}, (batch, timesteps, features). "
                f"Received: {argument}={tuple(shape)}"
            )

    def build(self, sequences_shape: tuple, initial_state_shape: Any = None) -> None:
        self._check_rank(len(sequences_shape), "input_shape", sequences_shape)
        if self.unroll and sequences_shape[1] is None:
            raise ValueError(
                f"{self._owner()}: cannot unroll an RNN over an undefined number of timesteps. "
                f"Pass a fixed time dimension to `Input()`. Received: input_shape={tuple(sequences_shape)}"
            )
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._build_device = self._build_device
            self.cell.build((sequences_shape[0], *sequences_shape[2:]))
        self._state_structure()
        if self.stateful:
            if sequences_shape[0] is None:
                raise ValueError(
                    f"{self._owner()}: a `stateful` RNN needs a fixed batch size; pass `batch_size=` "
                    f"to `Input()`. Received: input_shape={tuple(sequences_shape)}"
                )
            self._expected_batch_size = int(sequences_shape[0])
            self._set_states(flatten(self.get_initial_state(self._expected_batch_size)))

    # ---------------------------------------------------------------------------- states

    def get_initial_state(self, batch_size: int) -> list:
        """Zero initial states (the cell's `get_initial_state` when it has one)."""
        make = getattr(self.cell, "get_initial_state", None)
        if make is not None:
            states = make(batch_size=batch_size)
            return list(states) if isinstance(states, (list, tuple)) else [states]
        dtype = _config.torch_dtype(getattr(self.cell, "compute_dtype", self.compute_dtype))
        return [torch.zeros((batch_size, size), dtype=dtype) for size in self.state_size]

    def _state_structure(self) -> Any:
        """How the cell nests its states (lists as `get_initial_state` returns them)."""
        if self._structure is None:
            with symbolic.real_tensors():
                self._structure = map_structure(lambda _: None, self.get_initial_state(1))
        return self._structure

    def _set_states(self, values: list[torch.Tensor]) -> None:
        device = self._build_device or "cpu"
        for index, value in enumerate(values):
            self.register_buffer(f"_rnn_state_{index}", value.detach().to(device), persistent=False)
        self._state_count = len(values)

    @property
    def states(self) -> list | None:
        """The stored states of a stateful RNN (structured as `get_initial_state` gives them), else `None`."""
        if not self._state_count:
            return None
        return pack_like(
            self._structure, [self._buffers[f"_rnn_state_{i}"] for i in range(self._state_count)]
        )

    def reset_state(self, states: Any = None) -> None:
        """Zeroes the states of a stateful RNN, or sets them to `states` (arrays, Keras's layout)."""
        if not self._state_count:
            return
        current = flatten(self.states)
        if states is None:
            self._set_states([torch.zeros_like(s) for s in current])
            return
        self._set_states(self._check_states(states, current[0].shape[0], "states", current[0].device))

    def reset_states(self, states: Any = None) -> None:
        """Alias of `reset_state()`."""
        self.reset_state(states)

    def _check_states(self, given: Any, batch_size: int, argument: str, device: Any) -> list[torch.Tensor]:
        """Flat list of state tensors from a user's `initial_state`, checked against `state_size`."""
        values = flatten(list(given)) if isinstance(given, (list, tuple)) else [given]
        sizes = flatten(self.state_size)
        expected = [(batch_size, s) for s in sizes]
        if len(values) != len(sizes):
            raise ValueError(
                f"{self._owner()}: `{argument}` must be a list of {len(sizes)} tensor(s) of shapes "
                f"{expected}. Received: {len(values)} tensor(s)."
            )
        dtype = _config.torch_dtype(self.compute_dtype)
        values = [to_tensor(v, dtype=dtype, device=device) for v in values]
        received = [tuple(v.shape) for v in values]
        if received != expected:
            raise ValueError(
                f"{self._owner()}: `{argument}` must hold tensors of shapes {expected}. "
                f"Received: shapes {received}."
            )
        return values

    # ----------------------------------------------------------------------------- call

    def _check_mask(self, mask: Any, sequences: torch.Tensor) -> torch.Tensor | None:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is None:
            return None
        mask = to_tensor(mask, device=sequences.device)
        if mask.ndim == 3 and mask.shape[-1] == 1:
            mask = mask.squeeze(-1)
        if tuple(mask.shape) != tuple(sequences.shape[:2]):
            raise ValueError(
                f"{self._owner()}: `mask` must have shape (batch, timesteps) = {tuple(sequences.shape[:2])}. "
                f"Received: mask.shape={tuple(mask.shape)}"
            )
        return mask.bool()

    def call(
        self,
        sequences: torch.Tensor,
        initial_state: Any = None,
        mask: Any = None,
        training: bool = False,
    ) -> Any:
        self._check_rank(sequences.ndim, "inputs.shape", sequences.shape)
        batch_size = sequences.shape[0]
        mask = self._check_mask(mask, sequences)
        if initial_state is not None:
            flat_states = self._check_states(initial_state, batch_size, "initial_state", sequences.device)
        elif self._state_count:
            if batch_size != self._expected_batch_size:
                raise ValueError(
                    f"{self._owner()}: a stateful RNN's inputs must keep the batch size it was built with, "
                    f"{self._expected_batch_size}. Received: inputs.shape={tuple(sequences.shape)}"
                )
            flat_states = flatten(self.states)
        else:
            flat_states = [s.to(sequences.device) for s in flatten(self.get_initial_state(batch_size))]
        self._reset_dropout_masks(self.cell)
        try:
            last_output, outputs, flat_states = self.inner_loop(sequences, flat_states, mask, training)
        finally:
            self._reset_dropout_masks(self.cell)
        if self._state_count and not recurrence.is_fake(sequences):
            self._set_states(flat_states)
        output = outputs if self.return_sequences else last_output
        if not self.return_state:
            return output
        if mask is not None and self.return_sequences:
            output._keras_mask = mask
        return (output, *pack_like(self._state_structure(), flat_states))

    def inner_loop(
        self, sequences: torch.Tensor, states: list[torch.Tensor], mask: torch.Tensor | None, training: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None, list[torch.Tensor]]:
        """Runs the recurrence; returns `(last_output, outputs or None, final flat states)`."""
        cell = self.cell
        options = {"go_backwards": self.go_backwards, "zero_output_for_mask": self.zero_output_for_mask}
        if not _is_builtin_cell(cell):
            step = self._generic_step(training)
            return recurrence.run_loop(
                step, sequences, states, mask, return_sequences=self.return_sequences, **options
            )
        if sequences.shape[-1] != cell.kernel.shape[1]:
            raise ValueError(
                f"{self._owner()}: expected inputs with {cell.kernel.shape[1]} features (last dimension). "
                f"Received: inputs.shape={tuple(sequences.shape)}"
            )
        use_cudnn = getattr(self, "use_cudnn", "auto")
        if use_cudnn is not False and cell._can_fuse(training):
            lengths = None
            if mask is not None and not recurrence.is_fake(sequences):
                lengths = recurrence.right_padded_lengths(mask)
            if mask is None or lengths is not None or recurrence.is_fake(sequences):
                inputs = cell._dropped_inputs(sequences, training)
                return recurrence.run_fused(cell._fused, inputs, states, lengths, **options)
        elif use_cudnn is True:
            raise ValueError(
                f"{self._owner()}: `use_cudnn=True` needs activation='tanh', recurrent_activation='sigmoid', "
                "no recurrent dropout while training (and reset_after=True for GRU). "
                "Pass use_cudnn='auto' to fall back to the step loop."
            )
        projected = cell._project_inputs(sequences, training)
        step = cell._step_function(training, states[0])
        return recurrence.run_loop(
            step, projected, states, mask, return_sequences=self.return_sequences, **options
        )

    def _generic_step(self, training: bool) -> recurrence.StepFunction:
        cell = self.cell
        call = cell.__call__ if callable(cell) else cell.call
        kwargs = {"training": training} if isinstance(cell, Layer) else {}
        structure = self._state_structure()

        def step(inputs: torch.Tensor, flat_states: list[torch.Tensor]) -> tuple[torch.Tensor, list]:
            output, new_states = call(inputs, tuple(pack_like(structure, flat_states)), **kwargs)
            new_states = flatten(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            if len(new_states) != len(flat_states):
                raise ValueError(
                    f"{self._owner()}: the cell returned {len(new_states)} state(s); its `state_size` "
                    f"{self.state_size} announces {len(flat_states)}."
                )
            return output, new_states

        return step

    def _reset_dropout_masks(self, cell: Any) -> None:
        if hasattr(cell, "reset_dropout_mask"):
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()
        for inner in getattr(cell, "cells", ()):
            self._reset_dropout_masks(inner)

    # ------------------------------------------------------------------------ shapes, masks

    def compute_output_shape(self, sequences_shape: tuple, initial_state_shape: Any = None) -> Any:
        batch, length = sequences_shape[0], sequences_shape[1]
        output_size = getattr(self.cell, "output_size", None)
        if output_size is None:
            output_size = flatten(self.state_size)[0]
        output_shape = (batch, length, output_size) if self.return_sequences else (batch, output_size)
        if not self.return_state:
            return output_shape
        return (output_shape, *pack_like(self.state_size, [(batch, s) for s in flatten(self.state_size)]))

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        mask = flatten(previous_mask)[0] if isinstance(previous_mask, (list, tuple)) else previous_mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    # --------------------------------------------------------------------------- config

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize_layer(self.cell),
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> RNN:
        config = dict(config)
        cell = deserialize_layer(config.pop("cell"), custom_objects)
        return cls(cell, **config)
