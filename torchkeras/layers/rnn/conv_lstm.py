"""`ConvLSTMCell` and `ConvLSTM`: an LSTM whose input and recurrent transformations are convolutions.

The base of `ConvLSTM1D`, `ConvLSTM2D` and `ConvLSTM3D`. The input convolution of every timestep
runs as one batched convolution before the recurrence (time folded into the batch); each step then
adds one "same" convolution of the previous output. Kernels read and write in Keras's layouts,
`(*kernel_size, channels, 4 * filters)` and `(*kernel_size, filters, 4 * filters)`, gates `i, f, c, o`,
and are stored in torch's `(4 * filters, channels, *kernel_size)`, so no step converts a layout.
"""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import activations, config, constraints, initializers, regularizers
from torchkeras.layers.convolutional.base_conv import data_format_argument, torch_kernel_layout
from torchkeras.layers.convolutional.conv_utils import convolve
from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization.base_random import SeededRandomness
from torchkeras.layers.rnn import recurrence
from torchkeras.layers.rnn.base_rnn_layer import forward_to_cell
from torchkeras.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from torchkeras.layers.rnn.rnn import RNN
from torchkeras.utils.nest import to_tensor
from torchkeras.utils.shapes import spatial_output_shape, standardize_tuple
from torchkeras.utils.validation import check_choice, check_positive_int, invalid

__all__ = ["ConvLSTM", "ConvLSTMCell"]


def _check_dropout(value: Any, argument: str, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise invalid(argument, "must be a number in [0, 1]", value, owner)
    return float(value)


class ConvLSTMCell(Layer, DropoutRNNCell):
    """One step of a convolutional LSTM over `rank`-D inputs (Keras's `ConvLSTMCell`).

    Args: those of `ConvLSTM`, less `return_sequences`, `return_state`, `go_backwards`, `stateful`.

    Call arguments:
        inputs: one timestep, `(batch, *spatial, channels)` (or channels first).
        states: `[h, c]`, each `(batch, *output_spatial, filters)` (or channels first).
        training: whether dropout applies.

    Returns:
        `(h, [h, c])`.
    """

    dropout_mask_count = 4  # one input (and one recurrent) mask per gate, as Keras

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        owner = kwargs.pop("_owner", None)
        super().__init__(**kwargs)
        owner = owner or f"{type(self).__name__} '{self.name}'"
        if rank not in (1, 2, 3):
            raise invalid("rank", "must be 1, 2 or 3", rank, owner)
        self.rank = rank
        self.filters = check_positive_int(filters, "filters", owner)
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size", owner)
        self.strides = standardize_tuple(strides, rank, "strides", owner)
        self.padding = check_choice(padding, ("valid", "same"), "padding", owner)
        self.data_format = data_format_argument(data_format, owner)
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate", owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise invalid("dilation_rate", "must be 1 when `strides` > 1", dilation_rate, owner)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
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
        self.state_size = [filters, filters]  # per position; `ConvLSTM` knows the full state shape
        self.output_size = filters
        self._owner_name = owner

    # ------------------------------------------------------------------ weights

    def build(self, input_shape: tuple) -> None:
        if self.data_format == "channels_last":
            spatial, channels = tuple(input_shape[1:-1]), input_shape[-1]
        else:
            spatial, channels = tuple(input_shape[2:]), input_shape[1]
        if len(spatial) != self.rank or None in spatial or channels is None:
            raise ValueError(
                f"{self._owner_name}: the spatial and channel dimensions of the inputs must be defined "
                f"({self.rank} spatial dimensions). Received: input_shape={tuple(input_shape)}"
            )
        self.spatial_dims = spatial
        self.input_dim = channels
        width = 4 * self.filters
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            layout=torch_kernel_layout(self.rank),
        )
        self.recurrent_kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
            layout=torch_kernel_layout(self.rank),
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(width,),
                name="bias",
                initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        filters, base = self.filters, self.bias_initializer

        def initialize(shape: Any, dtype: Any = None, **kwargs: Any) -> torch.Tensor:
            input_gate = to_tensor(base((filters,), dtype=dtype))
            rest = to_tensor(base((2 * filters,), dtype=dtype))
            return torch.cat([input_gate, torch.ones_like(input_gate), rest])

        return initialize

    # ---------------------------------------------------------------- computation

    def output_spatial(self, spatial: tuple) -> tuple:
        """Spatial sizes of the states for inputs of `spatial` sizes."""
        return spatial_output_shape(
            spatial, self.kernel_size, self.strides, self.padding, self.dilation_rate, self._owner_name
        )

    def state_shape(self, batch_size: Any) -> tuple:
        """The shape of `h` and `c` in the layer's data format."""
        spatial = self.output_spatial(self.spatial_dims)
        if self.data_format == "channels_last":
            return (batch_size, *spatial, self.filters)
        return (batch_size, self.filters, *spatial)

    def get_initial_state(self, batch_size: int | None = None) -> list[torch.Tensor]:
        dtype = config.torch_dtype(self.compute_dtype)
        zeros = torch.zeros((2, *self.state_shape(batch_size)), dtype=dtype, device=self.kernel.device)
        return list(zeros.unbind(0))

    def project_inputs(self, inputs: torch.Tensor, training: bool) -> torch.Tensor:
        """The input convolution of every step: channels-first `(batch, time, channels, *spatial)`
        in, `(batch, time, 4 * filters, *output_spatial)` out (bias included)."""
        batch, time = inputs.shape[:2]
        steps = inputs.reshape(batch * time, *inputs.shape[2:])
        masks = self.get_dropout_mask(inputs[:, 0]) if training and 0 < self.dropout < 1 else None
        if masks is None:
            projected = self._conv(steps, self.kernel, self.bias)
        else:
            kernels = self.kernel.chunk(4, dim=0)
            biases = self.bias.chunk(4) if self.bias is not None else (None,) * 4
            dropped = [(inputs * mask.unsqueeze(1)).reshape(steps.shape) for mask in masks]
            projected = torch.cat([self._conv(x, k, b) for x, k, b in zip(dropped, kernels, biases)], dim=1)
        return projected.reshape(batch, time, *projected.shape[1:])

    def _conv(self, x: torch.Tensor, kernel: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        return convolve(x, kernel, bias, self.strides, self.padding, self.dilation_rate)

    def step_function(self, training: bool, h0: torch.Tensor) -> recurrence.StepFunction:
        """`step(projected_t, [h, c])` on channels-first tensors."""
        activation = self.activation
        gate = self.recurrent_activation
        kernel = self.recurrent_kernel
        ones = (1,) * self.rank
        masks = self.get_recurrent_dropout_mask(h0) if training and 0 < self.recurrent_dropout < 1 else None
        kernels = kernel.chunk(4, dim=0) if masks is not None else None

        def recurrent(h: torch.Tensor) -> torch.Tensor:
            if masks is None:
                return convolve(h, kernel, None, ones, "same", ones)
            return torch.cat(
                [convolve(h * m, k, None, ones, "same", ones) for m, k in zip(masks, kernels)], 1
            )

        def step(projected: torch.Tensor, states: list[torch.Tensor]) -> tuple[torch.Tensor, list]:
            h, c = states
            i, f, g, o = (projected + recurrent(h)).chunk(4, dim=1)
            c = gate(f) * c + gate(i) * activation(g)
            h = gate(o) * activation(c)
            return h, [h, c]

        return step

    def call(self, inputs: torch.Tensor, states: Any, training: bool = False) -> tuple[torch.Tensor, list]:
        channels_last = self.data_format == "channels_last"
        to_first = (lambda t: t.movedim(-1, 1)) if channels_last else (lambda t: t)
        to_format = (lambda t: t.movedim(1, -1)) if channels_last else (lambda t: t)
        h, c = (to_first(to_tensor(s, inputs.dtype, inputs.device)) for s in states)
        projected = self.project_inputs(to_first(inputs).unsqueeze(1), training).squeeze(1)
        output, (h, c) = self.step_function(training, h)(projected, [h, c])
        self.reset_dropout_mask()
        self.reset_recurrent_dropout_mask()
        return to_format(output), [to_format(h), to_format(c)]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
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


_CELL_ARGUMENTS = (
    "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
    "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer",
    "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
    "recurrent_dropout",
)  # fmt: skip


@forward_to_cell(*_CELL_ARGUMENTS, "rank", "seed")
class ConvLSTM(RNN):
    """N-D convolutional LSTM (the base of `ConvLSTM1D/2D/3D`): an `RNN` over a `ConvLSTMCell`.

    Args:
        rank: number of spatial dimensions (1, 2 or 3).
        filters: positive integer, the number of output channels (and of each state's channels).
        kernel_size: integer or tuple of `rank` integers, the convolution window.
        strides: integer or tuple of `rank` integers, the input convolution's strides; strides
            above 1 cannot be combined with a dilation rate above 1.
        padding: `"valid"` or `"same"`, for the input convolution (the recurrent one is "same").
        data_format: `"channels_last"` (`(batch, time, *spatial, channels)`) or `"channels_first"`
            (`(batch, time, channels, *spatial)`); `image_data_format()` by default.
        dilation_rate: integer or tuple of `rank` integers, the input convolution's dilation.
        activation: activation of the candidate and the output (`"tanh"`).
        recurrent_activation: activation of the gates (`"sigmoid"`).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        unit_forget_bias: add 1 to the forget gate's bias at initialization.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional weight penalties.
        activity_regularizer: optional penalty on the output.
        kernel_constraint, recurrent_constraint, bias_constraint: optional weight constraints.
        dropout: fraction of the inputs dropped while training (one mask per gate and sequence).
        recurrent_dropout: fraction of the previous output dropped while training.
        seed: optional integer seed of the dropout masks.
        return_sequences: return every step's output instead of the last one.
        return_state: also return the final `h` and `c`.
        go_backwards: process the sequence backwards.
        stateful: carry each batch's final states into the next batch.

    Call arguments:
        sequences: `(batch, time, *spatial, channels)` (or channels first).
        initial_state: optional `[h, c]`, each of the output's step shape.
        mask: optional boolean `(batch, time)`.
        training: whether dropout applies.

    Output shape:
        `(batch, *output_spatial, filters)` (or channels first), with a time axis after the batch
        with `return_sequences`; with `return_state`, `(output, h, c)`.
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        **kwargs: Any,
    ):
        layer_name = kwargs.get("name") or type(self).__name__.lower()
        cell = ConvLSTMCell(
            rank, filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
            recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed, name="conv_lstm_cell", dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), _owner=f"{type(self).__name__} '{layer_name}'",
        )  # fmt: skip
        super().__init__(
            cell, return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
            stateful=stateful, activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip
        self.input_rank = rank + 3

    def _check_rank(self, rank: int, argument: str, shape: Any) -> None:
        if rank != self.input_rank:
            layout = "(batch, time, *spatial, channels)"
            if self.cell.data_format == "channels_first":
                layout = "(batch, time, channels, *spatial)"
            raise ValueError(
                f"{self._owner()}: expected inputs of rank {self.input_rank} {layout}. "
                f"Received: {argument}={tuple(shape)}"
            )

    def _check_states(self, given: Any, batch_size: int, argument: str, device: Any) -> list[torch.Tensor]:
        values = list(given) if isinstance(given, (list, tuple)) else [given]
        expected = self.cell.state_shape(batch_size)
        dtype = config.torch_dtype(self.compute_dtype)
        values = [to_tensor(v, dtype=dtype, device=device) for v in values]
        if len(values) != 2 or any(tuple(v.shape) != expected for v in values):
            raise ValueError(
                f"{self._owner()}: `{argument}` must be a list of 2 tensors [h, c] of shape {expected}. "
                f"Received: shapes {[tuple(v.shape) for v in values]}."
            )
        return values

    def inner_loop(
        self, sequences: torch.Tensor, states: list[torch.Tensor], mask: torch.Tensor | None, training: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None, list[torch.Tensor]]:
        cell = self.cell
        channels_last = cell.data_format == "channels_last"
        channels = sequences.shape[-1] if channels_last else sequences.shape[2]
        if channels != cell.input_dim:
            raise ValueError(
                f"{self._owner()}: expected inputs with {cell.input_dim} channels, as when the layer was "
                f"built. Received: inputs.shape={tuple(sequences.shape)}"
            )
        if channels_last:
            sequences = sequences.movedim(-1, 2)
            states = [s.movedim(-1, 1) for s in states]
        projected = cell.project_inputs(sequences, training)
        step = cell.step_function(training, states[0])
        last, outputs, states = recurrence.run_loop(
            step, projected, states, mask, go_backwards=self.go_backwards,
            zero_output_for_mask=self.zero_output_for_mask, return_sequences=self.return_sequences,
        )  # fmt: skip
        if channels_last:
            last = last.movedim(1, -1)
            outputs = outputs.movedim(2, -1) if outputs is not None else None
            states = [s.movedim(1, -1) for s in states]
        return last, outputs, states

    def compute_output_shape(self, sequences_shape: tuple, initial_state_shape: Any = None) -> Any:
        batch, steps = sequences_shape[0], sequences_shape[1]
        cell = self.cell
        channels_last = cell.data_format == "channels_last"
        spatial = tuple(sequences_shape[2:-1] if channels_last else sequences_shape[3:])
        out = cell.output_spatial(spatial)
        step = (*out, cell.filters) if channels_last else (cell.filters, *out)
        output = (batch, steps, *step) if self.return_sequences else (batch, *step)
        if self.return_state:
            return output, (batch, *step), (batch, *step)
        return output

    def get_config(self) -> dict:
        config_dict = {key: value for key, value in super().get_config().items() if key != "cell"}
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key)
        config_dict.update(cell_config)
        config_dict["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config_dict

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> ConvLSTM:
        return cls(**config)
