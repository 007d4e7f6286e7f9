"""`Bidirectional`: runs an RNN forwards and a copy backwards, and merges their outputs."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn.layer_serialization import deserialize_layer, serialize_layer
from torchkeras.utils.nest import flatten
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["Bidirectional"]

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)
_RNN_ATTRIBUTES = ("go_backwards", "return_sequences", "return_state", "stateful")


def _copy(layer: Layer, name: str, **changes: Any) -> Layer:
    """A fresh layer with `layer`'s config (and its build), renamed and with `changes` applied."""
    config = {**layer.get_config(), "name": name, **changes}
    clone = type(layer).from_config(config)
    if layer.built and layer.get_build_config():
        clone.build_from_config(layer.get_build_config())
    return clone


@register_builtin
class Bidirectional(Layer):
    """Bidirectional wrapper for RNNs: `layer` reads the sequence forwards, a copy of it (or
    `backward_layer`) backwards, and the two outputs are merged.

    The forward and backward layers are new layers built from `layer`'s config (named
    `forward_<name>` and `backward_<name>`); their weights are, in order, `layer.weights` of the
    forward then the backward layer. With `return_sequences`, masked steps output zeros.

    Args:
        layer: an RNN layer (`LSTM`, `GRU`, `SimpleRNN`, `RNN`, or any layer with the same
            `go_backwards`, `return_sequences`, `return_state` and `stateful` attributes).
        merge_mode: how outputs combine: `"concat"`, `"sum"`, `"mul"`, `"ave"`, or `None` for a
            tuple `(forward, backward)`.
        weights: optional initial weights (forward layer's, then backward layer's).
        backward_layer: optional RNN layer for the backward direction (with `go_backwards=True`).

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: optional list: the forward layer's states, then the backward layer's.
        mask: optional boolean `(batch, timesteps)`.
        training: passed to both layers.

    Example:
    ```python
    layer = keras.layers.Bidirectional(keras.layers.LSTM(8, return_sequences=True))
    y = layer(np.zeros((2, 5, 3)))  # shape (2, 5, 16)
    ```
    """

    def __init__(
        self,
        layer: Layer,
        merge_mode: str | None = "concat",
        weights: Any = None,
        backward_layer: Layer | None = None,
        **kwargs: Any,
    ):
        super().__init__(weights=weights, **kwargs)
        owner = f"Bidirectional '{self.name}'"
        if not isinstance(layer, Layer):
            raise invalid("layer", "must be a keras Layer instance (e.g. an LSTM)", layer, owner)
        if not all(hasattr(layer, a) for a in _RNN_ATTRIBUTES):
            raise invalid(
                "layer", f"must be a recurrent layer (with {', '.join(_RNN_ATTRIBUTES)})", layer, owner
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise invalid("backward_layer", "must be a keras Layer instance or None", backward_layer, owner)
        if merge_mode not in _MERGE_MODES:
            raise invalid("merge_mode", f"must be one of {_MERGE_MODES}", merge_mode, owner)
        self.forward_layer = _copy(layer, f"forward_{layer.name.removeprefix('forward_')}")
        if backward_layer is None:
            backward_name = f"backward_{layer.name.removeprefix('backward_')}"
            backward_layer = _copy(layer, backward_name, go_backwards=True)
        self.backward_layer = backward_layer
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(self.forward_layer, attribute) != getattr(self.backward_layer, attribute):
                raise invalid(
                    f"backward_layer.{attribute}",
                    f"must equal the forward layer's, {getattr(layer, attribute)}",
                    getattr(self.backward_layer, attribute),
                    owner,
                )
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise invalid(
                "backward_layer.go_backwards",
                "must differ from the forward layer's",
                self.backward_layer.go_backwards,
                owner,
            )
        for direction in (self.forward_layer, self.backward_layer):
            if hasattr(direction, "zero_output_for_mask"):
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def build(self, sequences_shape: tuple, initial_state_shape: Any = None) -> None:
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction._build_device = self._build_device
                direction.build(sequences_shape)

    def _merge(self, forward: torch.Tensor, backward: torch.Tensor) -> Any:
        if self.merge_mode == "concat":
            return torch.cat([forward, backward], dim=-1)
        if self.merge_mode == "sum":
            return forward + backward
        if self.merge_mode == "ave":
            return (forward + backward) / 2
        if self.merge_mode == "mul":
            return forward * backward
        return (forward, backward)

    def call(
        self,
        sequences: torch.Tensor,
        initial_state: Any = None,
        mask: Any = None,
        training: bool | None = None,
    ) -> Any:
        forward_state = backward_state = None
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) % 2:
                raise invalid(
                    "initial_state",
                    "must hold the forward states then the backward states (an even number)",
                    f"{len(states)} tensor(s)",
                    f"Bidirectional '{self.name}'",
                )
            forward_state, backward_state = states[: len(states) // 2], states[len(states) // 2 :]
        y = self.forward_layer(sequences, initial_state=forward_state, mask=mask, training=training)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, mask=mask, training=training)
        states: tuple = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)
        output = self._merge(y, y_rev)
        if not self.return_state:
            return output
        return (output if self.merge_mode is None else (output,)) + states

    @property
    def states(self) -> tuple | None:
        forward, backward = self.forward_layer.states, self.backward_layer.states
        return tuple(forward + backward) if forward and backward else None

    def reset_state(self) -> None:
        if not self.stateful:
            raise AttributeError(f"Bidirectional '{self.name}': `reset_state()` needs a stateful layer.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self) -> None:
        """Alias of `reset_state()`."""
        self.reset_state()

    def compute_output_shape(self, sequences_shape: tuple, initial_state_shape: Any = None) -> Any:
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shapes: tuple = ()
        if self.return_state:
            output_shape, state_shapes = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = (*output_shape[:-1], output_shape[-1] * 2)
        elif self.merge_mode is None:
            output_shape = (output_shape, output_shape)
        if not self.return_state:
            return output_shape
        head = output_shape if self.merge_mode is None else (output_shape,)
        return head + state_shapes + state_shapes

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        mask = flatten(previous_mask)[0] if isinstance(previous_mask, (list, tuple)) else previous_mask
        if self.return_sequences:
            output_mask = mask if self.merge_mode else (mask, mask)
        else:
            output_mask = None if self.merge_mode else (None, None)
        if self.return_state and self.states is not None:
            heads = (output_mask,) if self.merge_mode else tuple(output_mask)
            return heads + (None,) * len(self.states)
        return output_mask

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_layer(self.forward_layer),
            "backward_layer": serialize_layer(self.backward_layer),
        }

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> Bidirectional:
        config = copy.deepcopy(dict(config))
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_layer(config["backward_layer"], custom_objects)
        return cls(**config)
