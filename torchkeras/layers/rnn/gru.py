"""`GRUCell` and `GRU`: gated recurrent unit (Cho et al., 2014)."""

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
from torchkeras.layers.rnn.gate_layout import GateLayout
from torchkeras.layers.rnn.recurrence import StepFunction
from torchkeras.utils.registry import register_builtin

__all__ = ["GRU", "GRUCell"]

# Keras concatenates the gates as z (update), r (reset), h (candidate); torch as r, z, n.
_TORCH_GATE_ORDER = (1, 0, 2)


@register_builtin
class GRUCell(BaseRNNCell):
    """One step of a GRU; `keras.layers.RNN(GRUCell(units))` runs it over a sequence.

    `get_weights()` has Keras's layouts: kernel `(input_dim, 3 * units)` and recurrent kernel
    `(units, 3 * units)` with gates `z, r, h`; bias `(2, 3 * units)` (input and recurrent biases)
    with `reset_after=True`, else `(3 * units,)`. Inside, weights are stored in torch's gate order.

    Args:
        units: positive integer, dimensionality of the output and the state.
        activation: activation of the candidate state (`"tanh"`).
        recurrent_activation: activation of the update and reset gates (`"sigmoid"`).
        use_bias: whether to add biases.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers
            (`"glorot_uniform"`, `"orthogonal"`, `"zeros"`).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional weight penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: optional weight constraints.
        dropout: fraction of the inputs dropped (one mask per sequence) while training.
        recurrent_dropout: fraction of the previous state dropped while training.
        reset_after: apply the reset gate after the recurrent matmul (`True`, torch's and cuDNN's
            convention) or before it (`False`).
        seed: optional integer seed of the dropout masks.

    Call arguments:
        inputs: `(batch, features)`.
        states: `[h]` (or `h`), `(batch, units)`.
        training: whether dropout applies.

    Returns:
        `(h, [h])` (or `(h, h)` when `states` was a tensor).
    """

    gates = 3

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        reset_after: bool = True,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
            kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
            recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs,
        )  # fmt: skip
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def _kernel_layout(self) -> GateLayout:
        return GateLayout(_TORCH_GATE_ORDER, transpose=True)

    def _bias_layout(self) -> GateLayout:
        return GateLayout(_TORCH_GATE_ORDER)

    def _bias_shape(self) -> tuple[int, ...]:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self) -> torch.Tensor | None:
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def _torch_biases(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.bias[0], self.bias[1]

    def _adopt_flat_biases(self, b_ih: torch.Tensor, b_hh: torch.Tensor) -> None:
        # both bias rows are one variable: they must be adjacent in the flat buffer
        if b_hh.storage_offset() == b_ih.storage_offset() + b_ih.numel():
            self.bias.set_(b_ih.untyped_storage(), b_ih.storage_offset(), (2, b_ih.numel()))

    def _step_function(self, training: bool, state: torch.Tensor) -> StepFunction:
        activation = fast_activation(self.activation)
        gate = fast_activation(self.recurrent_activation)
        if self.reset_after:
            recurrent = self._recurrent_matmul(state, training)
            recurrent_bias = self.bias[1] if self.bias is not None else None

            def step(projected: torch.Tensor, states: list[torch.Tensor]) -> tuple[torch.Tensor, list]:
                h = states[0]
                x_r, x_z, x_n = projected.chunk(3, dim=-1)
                h_r, h_z, h_n = recurrent(h, recurrent_bias).chunk(3, dim=-1)
                r = gate(x_r + h_r)
                z = gate(x_z + h_z)
                h = z * h + (1 - z) * activation(x_n + r * h_n)
                return h, [h]

            return step
        units = self.units
        kernel_rz = self.recurrent_kernel[: 2 * units].t()
        kernel_n = self.recurrent_kernel[2 * units :].t()
        mask = self._recurrent_dropout(state, training)

        def step_reset_before(
            projected: torch.Tensor, states: list[torch.Tensor]
        ) -> tuple[torch.Tensor, list]:
            h = states[0]
            x_r, x_z, x_n = projected.chunk(3, dim=-1)
            if mask is None:
                h_r, h_z = (h @ kernel_rz).chunk(2, dim=-1)
                h_for_n = h
            else:
                h_r = (h * mask[0]) @ kernel_rz[:, :units]
                h_z = (h * mask[1]) @ kernel_rz[:, units:]
                h_for_n = h * mask[2]
            r = gate(x_r + h_r)
            z = gate(x_z + h_z)
            h = z * h + (1 - z) * activation(x_n + (r * h_for_n) @ kernel_n)
            return h, [h]

        return step_reset_before

    def _can_fuse(self, training: bool) -> bool:
        return (
            super()._can_fuse(training)
            and self.reset_after
            and is_tanh(self.activation)
            and is_sigmoid(self.recurrent_activation)
        )

    def _fused(
        self, inputs: torch.Tensor, states: list[torch.Tensor], batch_sizes: torch.Tensor | None
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        outputs, h = self._run_fused(torch._VF.gru, inputs, states[0].unsqueeze(0), batch_sizes, "GRU")
        return outputs, [h[0]]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }


@register_builtin
@forward_to_cell("recurrent_activation", "reset_after")
class GRU(BaseRNNLayer):
    """Gated Recurrent Unit layer, on torch's fused GRU kernel (cuDNN on CUDA) when it applies.

    Takes `GRUCell`'s arguments plus `RNN`'s (`return_sequences`, `return_state`, `go_backwards`,
    `stateful`, `unroll`), `activity_regularizer`, and `use_cudnn` (`"auto"`; `False` forces the
    step loop; `True` raises when the configuration cannot be fused). Only `reset_after=True`
    (the default) runs fused.

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
    gru = keras.layers.GRU(4, return_sequences=True)
    y = gru(np.zeros((32, 10, 8)))  # shape (32, 10, 4)
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
        reset_after: bool = True,
        use_cudnn: Any = "auto",
        **kwargs: Any,
    ):
        cell_arguments = dict(
            units=units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            reset_after=reset_after, seed=seed, implementation=kwargs.pop("implementation", 2),
        )  # fmt: skip
        super().__init__(
            GRUCell, cell_arguments, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip
        self._set_use_cudnn(use_cudnn)
