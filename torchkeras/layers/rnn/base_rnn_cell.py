"""`BaseRNNCell`: the arguments, weights and step machinery SimpleRNNCell, LSTMCell and GRUCell share.

A built-in cell stores its kernels the way torch's fused RNN kernels want them (`(gates * units,
input_dim)`, gates in torch's order) and exposes three things to the `RNN` layer: `_project_inputs`
(the input contributions of all timesteps in one matmul), `_step_function` (the recurrent part of
one step) and, when the configuration allows, `_fused` (the whole sequence in one torch kernel).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchkeras import activations, config, constraints, initializers, regularizers
from torchkeras.layers import symbolic
from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.layers.rnn.cudnn_weights import flat_copies, weights_key
from torchkeras.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from torchkeras.layers.rnn.recurrence import StepFunction
from torchkeras.layers.variable import Permuted
from torchkeras.utils.nest import to_tensor
from torchkeras.utils.validation import check_positive_int, invalid

__all__ = [
    "BaseRNNCell",
    "fast_activation",
    "is_sigmoid",
    "is_tanh",
]

_FAST = {activations.tanh: torch.tanh, activations.sigmoid: torch.sigmoid, activations.relu: torch.relu}


def fast_activation(fn: Callable) -> Callable:
    """The plain torch function behind a built-in activation (skips argument conversion per step)."""
    return _FAST.get(fn, fn)


def is_tanh(fn: Callable) -> bool:
    return fn is activations.tanh or fn is torch.tanh


def is_sigmoid(fn: Callable) -> bool:
    return fn is activations.sigmoid or fn is torch.sigmoid


def _check_dropout(value: Any, argument: str, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise invalid(argument, "must be a number in [0, 1]", value, owner)
    return float(value)


class BaseRNNCell(Layer, DropoutRNNCell):
    """Base of the built-in cells; subclasses set `gates` and implement `_step_function`."""

    gates = 1

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
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        owner = self._owner()
        self.units = check_positive_int(units, "units", owner)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _check_dropout(dropout, "dropout", owner)
        self.recurrent_dropout = _check_dropout(recurrent_dropout, "recurrent_dropout", owner)
        self.seed = seed
        self._random = SeededRandomness(seed)
        # Keras's "implementation 1" (forced by recurrent dropout) draws one dropout mask per gate.
        self.implementation = 1 if self.recurrent_dropout else implementation
        if self.implementation == 1 and self.gates > 1:
            self.dropout_mask_count = self.gates
        self.state_size: Any = self.units
        self.output_size = self.units

    def _owner(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    # ------------------------------------------------------------------ weights

    def _kernel_layout(self) -> Any:
        return Permuted((1, 0))

    def _bias_layout(self) -> Any:
        return None

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: tuple) -> None:
        input_dim = input_shape[-1] if input_shape else None
        if input_dim is None:
            raise ValueError(
                f"{self._owner()}: the last dimension of the inputs must be defined. "
                f"Received: input_shape={tuple(input_shape or ())}"
            )
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            layout=self._kernel_layout(),
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
            layout=self._kernel_layout(),
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(),
                name="bias",
                initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                layout=self._bias_layout(),
            )

    # ---------------------------------------------------------------- computation

    def _input_bias(self) -> torch.Tensor | None:
        return self.bias

    def _input_dropout(self, step_input: torch.Tensor, training: bool) -> torch.Tensor | None:
        return self.get_dropout_mask(step_input) if training and 0 < self.dropout < 1 else None

    def _recurrent_dropout(self, state: torch.Tensor, training: bool) -> torch.Tensor | None:
        return self.get_recurrent_dropout_mask(state) if training and 0 < self.recurrent_dropout < 1 else None

    def _check_inputs(self, inputs: torch.Tensor) -> None:
        if inputs.shape[-1] != self.kernel.shape[1]:
            raise ValueError(
                f"{self._owner()}: expected inputs with last dimension {self.kernel.shape[1]}. "
                f"Received: inputs.shape={tuple(inputs.shape)}"
            )

    def _project_inputs(self, sequences: torch.Tensor, training: bool) -> torch.Tensor:
        """The input part of every step at once: `(batch, time, gates * units)`."""
        mask = self._input_dropout(sequences[:, 0], training)
        bias = self._input_bias()
        if mask is None or mask.ndim == 2:
            inputs = sequences if mask is None else sequences * mask.unsqueeze(1)
            return torch.nn.functional.linear(inputs, self.kernel, bias)
        kernel = self.kernel.view(self.gates, self.units, -1)  # one mask per gate
        projected = torch.einsum("gbtf,guf->btgu", sequences.unsqueeze(0) * mask.unsqueeze(2), kernel)
        projected = projected.flatten(2)
        return projected if bias is None else projected + bias

    def _recurrent_matmul(
        self, state: torch.Tensor, training: bool
    ) -> Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]:
        """`product(h, base)`: `base + h @ recurrent_kernel` with this sequence's recurrent dropout."""
        kernel = self.recurrent_kernel
        kernel_t = kernel.t()
        mask = self._recurrent_dropout(state, training)
        if mask is None:
            return lambda h, base: h @ kernel_t if base is None else torch.addmm(base, h, kernel_t)
        if mask.ndim == 2:
            return lambda h, base: (
                (h * mask) @ kernel_t if base is None else torch.addmm(base, h * mask, kernel_t)
            )
        per_gate = kernel.view(self.gates, self.units, self.units).transpose(1, 2)

        def product(h: torch.Tensor, base: torch.Tensor | None) -> torch.Tensor:
            result = torch.bmm(h.unsqueeze(0) * mask, per_gate).transpose(0, 1).flatten(1)
            return result if base is None else result + base

        return product

    def _step_function(self, training: bool, state: torch.Tensor) -> StepFunction:
        """`step(projected_input_t, states) -> (output, new_states)` for one sequence."""
        raise NotImplementedError(f"{type(self).__name__} must implement `_step_function(training, state)`.")

    def _dropped_inputs(self, sequences: torch.Tensor, training: bool) -> torch.Tensor:
        mask = self._input_dropout(sequences[:, 0], training)
        return sequences if mask is None else sequences * mask.unsqueeze(1)

    def _can_fuse(self, training: bool) -> bool:
        """Whether a fused torch kernel computes exactly this configuration."""
        if training and 0 < self.recurrent_dropout < 1:
            return False
        return not (training and 0 < self.dropout < 1 and getattr(self, "dropout_mask_count", None))

    def _fused(
        self, inputs: torch.Tensor, states: list[torch.Tensor], batch_sizes: torch.Tensor | None
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        raise NotImplementedError(
            f"{type(self).__name__} must implement `_fused(inputs, states, batch_sizes)` "
            "(or return False from `_can_fuse`)."
        )

    def _run_fused(
        self, kernel: Callable, inputs: torch.Tensor, hx: Any, batch_sizes: torch.Tensor | None, mode: str
    ) -> tuple[torch.Tensor, ...]:
        """Runs torch's fused `kernel` (`torch._VF.lstm`, ...; cuDNN `mode` `"LSTM"`, ...) on one
        layer: `(outputs, *final states)`; `batch_sizes` for a packed, right-padded sequence."""
        if inputs.device.type == "cpu" and torch.is_autocast_enabled("cpu"):
            # Under a bfloat16 autocast, torch's CPU kernels refuse float32 inputs (a oneDNN
            # "primitive descriptor" error); they run with inputs and states in the autocast dtype.
            dtype = torch.get_autocast_dtype("cpu")
            inputs = inputs.to(dtype)
            hx = hx.to(dtype) if isinstance(hx, torch.Tensor) else type(hx)(h.to(dtype) for h in hx)
        weights = self._kernel_weights(inputs, mode)
        train = torch.is_grad_enabled()
        if batch_sizes is None:
            return kernel(inputs, hx, weights, self.use_bias, 1, 0.0, train, False, True)
        return kernel(inputs, batch_sizes, hx, weights, self.use_bias, 1, 0.0, train, False)

    def _torch_weights(self) -> list[torch.Tensor]:
        """The weights as torch's RNN kernels take them: `[w_ih, w_hh, b_ih, b_hh]`."""
        weights = [self.kernel, self.recurrent_kernel]
        return weights if self.bias is None else [*weights, *self._torch_biases()]

    def _torch_biases(self) -> tuple[torch.Tensor, torch.Tensor]:
        """torch's `(b_ih, b_hh)`: Keras's one bias, then zeros."""
        return self.bias, self._zero_bias()

    def _kernel_weights(self, inputs: torch.Tensor, mode: str) -> list[torch.Tensor]:
        """`_torch_weights()`, first moved into one cuDNN buffer when they run on CUDA."""
        weights = self._torch_weights()
        if inputs.is_cuda and self.__dict__.get("_flat_key") != weights_key(weights):
            copies = flat_copies(weights, mode, self.kernel.shape[1], self.units)
            if copies is not None:
                self._adopt_flat_weights(copies)
                weights = self._torch_weights()
            self.__dict__["_flat_key"] = weights_key(weights)  # flatten once per placement
        return weights

    def _adopt_flat_weights(self, copies: list[torch.Tensor]) -> None:
        """Points the variables at the flat buffer's views (as `nn.LSTM.flatten_parameters`)."""
        with torch.no_grad():
            self.kernel.set_(copies[0])
            self.recurrent_kernel.set_(copies[1])
            if self.bias is not None:
                self._adopt_flat_biases(copies[2], copies[3])

    def _adopt_flat_biases(self, b_ih: torch.Tensor, b_hh: torch.Tensor) -> None:
        self.bias.set_(b_ih)
        self.__dict__["_zeros"] = b_hh

    def call(self, inputs: torch.Tensor, states: Any, training: bool = False) -> tuple[torch.Tensor, Any]:
        self._check_inputs(inputs)
        nested = isinstance(states, (list, tuple))
        state_list = [to_tensor(s, inputs.dtype, inputs.device) for s in (states if nested else [states])]
        projected = self._project_inputs(inputs.unsqueeze(1), training).squeeze(1)
        output, new_states = self._step_function(training, state_list[0])(projected, state_list)
        return output, (new_states if nested else new_states[0])

    def get_initial_state(self, batch_size: int | None = None) -> list[torch.Tensor]:
        """Zero states, one `(batch_size, size)` tensor per entry of `state_size`."""
        count = len(self.state_size) if isinstance(self.state_size, (list, tuple)) else 1
        device = self.kernel.device if self.built else None
        dtype = config.torch_dtype(self.compute_dtype)
        return list(torch.zeros((count, batch_size, self.units), dtype=dtype, device=device).unbind(0))

    def _zero_bias(self) -> torch.Tensor:
        """Zeros standing for torch's second bias (Keras has one), cached per device and dtype."""
        zeros = self.__dict__.get("_zeros")
        if zeros is None or zeros.device != self.bias.device or zeros.dtype != self.bias.dtype:
            with symbolic.real_tensors():  # never cache a shape-inference stand-in
                zeros = torch.zeros(self.bias.shape, dtype=self.bias.dtype, device=self.bias.device)
            self.__dict__["_zeros"] = zeros
        return zeros

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
