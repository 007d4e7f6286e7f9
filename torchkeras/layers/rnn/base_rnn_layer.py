"""`BaseRNNLayer`: what SimpleRNN, LSTM and GRU share on top of `RNN`.

Each of them is an `RNN` over one built-in cell made from the layer's own arguments: the base makes
that cell, reads the cell's arguments back as the layer's attributes, and writes one flat config
(the RNN's arguments and the cell's), as Keras does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchkeras import regularizers
from torchkeras.layers.rnn.base_rnn_cell import BaseRNNCell
from torchkeras.layers.rnn.rnn import RNN
from torchkeras.utils.registry import to_snake_case
from torchkeras.utils.validation import check_choice

__all__ = ["BaseRNNLayer", "forward_to_cell"]


def forward_to_cell(*names: str) -> Callable[[type], type]:
    """Class decorator: read-only properties reading `self.cell.<name>` (Keras's LSTM.units etc.)."""

    def decorate(cls: type) -> type:
        for name in names:
            setattr(
                cls, name, property(lambda self, n=name: getattr(self.cell, n), doc=f"The cell's `{name}`.")
            )
        return cls

    return decorate


@forward_to_cell(
    "units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
    "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
    "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed",
)  # fmt: skip
class BaseRNNLayer(RNN):
    """Base of the recurrent layers that own a built-in cell (`SimpleRNN`, `LSTM`, `GRU`).

    Args:
        cell_class: the cell's class (`LSTMCell`); the cell is named after it (`"lstm_cell"`), takes
            the layer's `dtype` and `trainable`, and its argument errors name the layer (`LSTM`).
        cell_arguments: the cell's arguments, by name.
        return_sequences, return_state, go_backwards, stateful, unroll: `RNN`'s arguments.
        activity_regularizer: optional penalty on the layer's output.
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).
    """

    input_rank = 3

    def __init__(
        self,
        cell_class: type[BaseRNNCell],
        cell_arguments: dict[str, Any],
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        activity_regularizer: Any = None,
        **kwargs: Any,
    ):
        layer_class = cell_class.__name__.removesuffix("Cell")
        try:
            cell = cell_class(
                **cell_arguments,
                dtype=kwargs.get("dtype"),
                trainable=kwargs.get("trainable", True),
                name=to_snake_case(cell_class.__name__),
            )
        except ValueError as error:
            message = str(error).split(": ", 1)[-1]
            name = kwargs.get("name") or to_snake_case(layer_class)
            raise ValueError(f"{layer_class} '{name}': {message}") from None
        super().__init__(
            cell, return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
            stateful=stateful, unroll=unroll, activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip

    def _set_use_cudnn(self, use_cudnn: Any) -> None:
        """Checks and stores `use_cudnn` (LSTM's and GRU's): `"auto"`, `True` or `False`."""
        if not isinstance(use_cudnn, bool):
            check_choice(use_cudnn, ("auto",), "use_cudnn", self._owner())
        self.use_cudnn = use_cudnn

    def get_config(self) -> dict:
        """The RNN's keys but `cell`, then the cell's arguments and `activity_regularizer`."""
        config = {key: value for key, value in super().get_config().items() if key != "cell"}
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key)
        config.update(cell_config)
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> BaseRNNLayer:
        return cls(**config)
