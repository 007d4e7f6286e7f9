"""`SimpleRNNCell` and `SimpleRNN`: the fully-connected RNN, `h = activation(x W + h U + b)`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import activations
from torchkeras.layers.rnn.base_rnn_cell import BaseRNNCell, fast_activation, is_tanh
from torchkeras.layers.rnn.base_rnn_layer import BaseRNNLayer
from torchkeras.layers.rnn.recurrence import StepFunction
from torchkeras.utils.registry import register_builtin

__all__ = ["SimpleRNN", "SimpleRNNCell"]


@register_builtin
class SimpleRNNCell(BaseRNNCell):
    """One step of a fully-connected RNN; `keras.layers.RNN(SimpleRNNCell(units))` runs it.

    `get_weights()` is `[kernel (input_dim, units), recurrent_kernel (units, units), bias (units,)]`.

    Args:
        units: positive integer, dimensionality of the output (and state).
        activation: activation of the new state (`"tanh"`; `None` is linear).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers
            (`"glorot_uniform"`, `"orthogonal"`, `"zeros"`).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional weight penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: optional weight constraints.
        dropout: fraction of the inputs dropped (one mask per sequence) while training.
        recurrent_dropout: fraction of the previous state dropped while training.
        seed: optional integer seed of the dropout masks.

    Call arguments:
        sequence: `(batch, features)`, the input of one step.
        states: `[h]` (or `h`), `(batch, units)`.
        training: whether dropout applies.

    Returns:
        `(h, [h])` (or `(h, h)` when `states` was a tensor).
    """

    def _step_function(self, training: bool, state: torch.Tensor) -> StepFunction:
        activation = fast_activation(self.activation)
        recurrent = self._recurrent_matmul(state, training)

        def step(
            projected: torch.Tensor, states: list[torch.Tensor]
        ) -> tuple[torch.Tensor, list[torch.Tensor]]:
            h = activation(recurrent(states[0], projected))
            return h, [h]

        return step

    def _can_fuse(self, training: bool) -> bool:
        relu = self.activation is activations.relu or self.activation is torch.relu
        return super()._can_fuse(training) and (is_tanh(self.activation) or relu)

    def _fused(
        self, inputs: torch.Tensor, states: list[torch.Tensor], batch_sizes: torch.Tensor | None
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        tanh = is_tanh(self.activation)
        kernel, mode = (torch._VF.rnn_tanh, "RNN_TANH") if tanh else (torch._VF.rnn_relu, "RNN_RELU")
        outputs, h = self._run_fused(kernel, inputs, states[0].unsqueeze(0), batch_sizes, mode)
        return outputs, [h[0]]


@register_builtin
class SimpleRNN(BaseRNNLayer):
    """Fully-connected RNN whose output is fed back as its state; fused torch kernel for `tanh`/`relu`.

    Takes `SimpleRNNCell`'s arguments plus `RNN`'s (`return_sequences`, `return_state`,
    `go_backwards`, `stateful`, `unroll`) and `activity_regularizer`.

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: optional `[h]`.
        mask: optional boolean `(batch, timesteps)`.
        training: whether dropout applies.

    Output shape:
        `(batch, units)`, `(batch, timesteps, units)` with `return_sequences`; with
        `return_state`, `(output, h)`.

    Example:
    ```python
    rnn = keras.layers.SimpleRNN(4)
    y = rnn(np.zeros((32, 10, 8)))  # shape (32, 4)
    ```
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ):
        cell_arguments = dict(
            units=units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed,
        )  # fmt: skip
        super().__init__(
            SimpleRNNCell, cell_arguments, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip

    def get_config(self) -> dict:
        config = super().get_config()
        del config["seed"]  # Keras's SimpleRNN leaves the seed out of its config
        return config
