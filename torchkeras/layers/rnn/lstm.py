"""`LSTMCell` and `LSTM`: long short-term memory (Hochreiter & Schmidhuber, 1997)."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import activations
from torchkeras.layers.rnn.base_rnn_cell import (
    BaseRNNCell,
    fast_activation,
    is_sigmoid,
    is_tanh,
)
from torchkeras.layers.rnn.base_rnn_layer import BaseRNNLayer, forward_to_cell
from torchkeras.layers.rnn.recurrence import StepFunction
from torchkeras.utils.nest import to_tensor
from torchkeras.utils.registry import register_builtin

__all__ = ["LSTM", "LSTMCell"]


@register_builtin
class LSTMCell(BaseRNNCell):
    """One step of an LSTM; `keras.layers.RNN(LSTMCell(units))` runs it over a sequence.

    Weights have Keras's layouts in `get_weights()`: kernel `(input_dim, 4 * units)`, recurrent
    kernel `(units, 4 * units)`, one bias `(4 * units,)`, gates in the order `i, f, c, o`.

    Args:
        units: positive integer, dimensionality of the output and of both states.
        activation: activation of the candidate and the output (`"tanh"`).
        recurrent_activation: activation of the gates (`"sigmoid"`).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers
            (`"glorot_uniform"`, `"orthogonal"`, `"zeros"`).
        unit_forget_bias: add 1 to the forget gate's bias at initialization.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional weight penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: optional weight constraints.
        dropout: fraction of the inputs dropped (one mask per sequence) while training.
        recurrent_dropout: fraction of the previous state dropped while training.
        seed: optional integer seed of the dropout masks.

    Call arguments:
        inputs: `(batch, features)`.
        states: `[h, c]`, each `(batch, units)`.
        training: whether dropout applies.

    Returns:
        `(h, [h, c])`.
    """

    gates = 4

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
            kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
            recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs,
        )  # fmt: skip
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [self.units, self.units]

    def _bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def initialize(shape: Any, dtype: Any = None, **kwargs: Any) -> torch.Tensor:
            input_gate = to_tensor(base((units,), dtype=dtype))
            cell_and_output_gates = to_tensor(base((2 * units,), dtype=dtype))
            return torch.cat([input_gate, torch.ones_like(input_gate), cell_and_output_gates])

        return initialize

    def _step_function(self, training: bool, state: torch.Tensor) -> StepFunction:
        activation = fast_activation(self.activation)
        gate = fast_activation(self.recurrent_activation)
        recurrent = self._recurrent_matmul(state, training)

        def step(
            projected: torch.Tensor, states: list[torch.Tensor]
        ) -> tuple[torch.Tensor, list[torch.Tensor]]:
            h, c = states
            i, f, g, o = recurrent(h, projected).chunk(4, dim=-1)
            c = gate(f) * c + gate(i) * activation(g)
            h = gate(o) * activation(c)
            return h, [h, c]

        return step

    def _can_fuse(self, training: bool) -> bool:
        return (
            super()._can_fuse(training) and is_tanh(self.activation) and is_sigmoid(self.recurrent_activation)
        )

    def _fused(
        self, inputs: torch.Tensor, states: list[torch.Tensor], batch_sizes: torch.Tensor | None
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        hx = (states[0].unsqueeze(0), states[1].unsqueeze(0))
        outputs, h, c = self._run_fused(torch._VF.lstm, inputs, hx, batch_sizes, "LSTM")
        return outputs, [h[0], c[0]]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }


@register_builtin
@forward_to_cell("recurrent_activation", "unit_forget_bias")
class LSTM(BaseRNNLayer):
    """Long Short-Term Memory layer, on torch's fused LSTM kernel (cuDNN on CUDA) when it applies.

    Takes `LSTMCell`'s arguments plus `RNN`'s (`return_sequences`, `return_state`, `go_backwards`,
    `stateful`, `unroll`), `activity_regularizer`, and `use_cudnn` (`"auto"`; `False` forces the
    step loop; `True` raises when the configuration cannot be fused).

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: optional `[h, c]`.
        mask: optional boolean `(batch, timesteps)`.
        training: whether dropout applies.

    Output shape:
        `(batch, units)`, `(batch, timesteps, units)` with `return_sequences`; with
        `return_state`, `(output, h, c)`.

    Example:
    ```python
    lstm = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    sequence, h, c = lstm(np.zeros((32, 10, 8)))  # (32, 10, 4), (32, 4), (32, 4)
    ```
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        use_cudnn: Any = "auto",
        **kwargs: Any,
    ):
        cell_arguments = dict(
            units=units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, implementation=kwargs.pop("implementation", 2),
        )  # fmt: skip
        super().__init__(
            LSTMCell, cell_arguments, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip
        self._set_use_cudnn(use_cudnn)
