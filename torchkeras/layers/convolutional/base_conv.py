"""`BaseConv`: the N-D convolution behind `Conv1D`, `Conv2D` and `Conv3D`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import activations, config, constraints, initializers, regularizers
from torchkeras.layers.convolutional.conv_utils import (
    check_inputs,
    convolve,
    to_channels_first,
    to_data_format,
)
from torchkeras.layers.layer import Layer
from torchkeras.layers.variable import Permuted
from torchkeras.utils.shapes import spatial_output_shape, standardize_tuple
from torchkeras.utils.validation import check_choice, check_positive_int, invalid

__all__ = ["BaseConv", "ConvWindow", "data_format_argument", "torch_kernel_layout"]

DATA_FORMATS = ("channels_last", "channels_first")


def data_format_argument(data_format: str | None, owner: str) -> str:
    """`data_format`, with `None` meaning `torchkeras.config.image_data_format()`."""
    return check_choice(data_format or config.image_data_format(), DATA_FORMATS, "data_format", owner)


_CHANNELS_LAST_MEMORY = {2: torch.channels_last, 3: torch.channels_last_3d}


def torch_kernel_layout(rank: int, data_format: str = "channels_first") -> Permuted:
    """Stores a Keras kernel `(*kernel_size, a, b)` as torch's `(b, a, *kernel_size)`; for
    channels_last data, in torch's channels-last memory format, which its channels-last
    convolutions read without converting the kernel at every call."""
    memory_format = torch.contiguous_format
    if data_format == "channels_last":
        memory_format = _CHANNELS_LAST_MEMORY.get(rank, torch.contiguous_format)
    return Permuted((rank + 1, rank, *range(rank)), memory_format)


class ConvWindow(Layer):
    """What every convolution layer shares: the window arguments, input checks, output shapes.

    Subclasses call `set_window(...)` from `__init__`; it validates and stores `rank`,
    `kernel_size`, `strides`, `padding`, `data_format`, `dilation_rate`, `activation` and
    `use_bias` under their Keras names.
    """

    def set_window(
        self,
        rank: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...],
        padding: str,
        data_format: str | None,
        dilation_rate: int | tuple[int, ...],
        activation: Any,
        use_bias: bool,
        paddings: tuple[str, ...] = ("valid", "same"),
        strided_dilation: bool = False,
    ) -> None:
        owner = self.owner
        self.rank = rank
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size", owner)
        self.strides = standardize_tuple(strides, rank, "strides", owner)
        self.padding = check_choice(padding, paddings, "padding", owner)
        self.data_format = data_format_argument(data_format, owner)
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate", owner)
        if not strided_dilation and max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise invalid("dilation_rate", "must be 1 when `strides` > 1", dilation_rate, owner)
        self.activation = activations.get(activation)
        self.use_bias = use_bias

    @property
    def owner(self) -> str:
        """How error messages name this layer: `"Conv2D 'conv2d'"`."""
        return f"{type(self).__name__} '{self.name}'"

    def input_channels(self, input_shape: tuple) -> int:
        """The channel count of `input_shape`, after checking its rank."""
        check_inputs(input_shape, self.rank, self.data_format, None, self.owner)
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if channels is None:
            raise ValueError(
                f"{self.owner}: the channel dimension of the inputs must be defined. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        return channels

    def add_bias(self, size: int) -> None:
        """Creates `self.bias` of `size` entries when `use_bias`, else sets it to None."""
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(size,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def check_call_inputs(self, inputs: torch.Tensor, channels: int) -> None:
        """Rejects inputs of the wrong rank, channel count or (with "valid") size."""
        check_inputs(inputs.shape, self.rank, self.data_format, channels, self.owner)
        if self.padding == "valid":
            self.spatial_output_shape(inputs.shape)

    def spatial_output_shape(self, input_shape: tuple) -> tuple[int | None, ...]:
        """Output spatial sizes of a convolution window over `input_shape`."""
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        return spatial_output_shape(
            spatial, self.kernel_size, self.strides, self.padding, self.dilation_rate, self.owner
        )

    def output_shape_with(self, input_shape: tuple, spatial: tuple, channels: int | None) -> tuple:
        """An output shape: `input_shape`'s batch size, `spatial` sizes, `channels` channels."""
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, channels)
        return (input_shape[0], channels, *spatial)


class BaseConv(ConvWindow):
    """N-D convolution (cross-correlation) layer: `activation(conv(inputs, kernel) + bias)`.

    The kernel reads and writes in Keras's layout `(*kernel_size, channels // groups, filters)`
    through `get_weights()` / `set_weights()`; it is stored in torch's `(filters, channels //
    groups, *kernel_size)` so each step calls torch's convolution with no conversion.

    Args:
        rank: number of spatial dimensions (1, 2 or 3).
        filters: positive integer, number of output channels.
        kernel_size: integer or tuple of `rank` integers, the window size.
        strides: integer or tuple of `rank` integers, the step of the window. Strides above 1
            cannot be combined with a dilation rate above 1.
        padding: `"valid"` (no padding), `"same"` (pad so that the output has
            `ceil(input / strides)` cells, an odd extra cell going at the end) or, for 1-D
            only, `"causal"` (pad on the left so no output sees later inputs).
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        dilation_rate: integer or tuple of `rank` integers, the spacing of the kernel taps.
        groups: positive integer dividing both the input channels and `filters`; each group
            of input channels is convolved with its own `filters // groups` filters.
        activation: activation function (name or callable); `None` means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers of the weights.
        kernel_regularizer, bias_regularizer: optional weight penalties.
        activity_regularizer: optional penalty on the output.
        kernel_constraint, bias_constraint: optional weight constraints.
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).
    """

    _fresh_outputs = True  # outputs are new tensors nothing else holds (see `Functional`)

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        paddings = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
        self.set_window(
            rank, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias, paddings
        )
        self.filters = check_positive_int(filters, "filters", self.owner)
        self.groups = check_positive_int(groups, "groups", self.owner)
        if self.filters % self.groups:
            raise invalid("groups", f"must divide `filters` ({self.filters})", groups, self.owner)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape: tuple) -> None:
        channels = self.input_channels(input_shape)
        if channels % self.groups:
            raise invalid("groups", f"must divide the input channels ({channels})", self.groups, self.owner)
        self.compute_output_shape(input_shape)  # rejects inputs smaller than a "valid" window
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            layout=torch_kernel_layout(self.rank, self.data_format),
        )
        self.add_bias(self.filters)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self.check_call_inputs(inputs, self.kernel.shape[1] * self.groups)
        x = to_channels_first(inputs, self.data_format)
        x = convolve(x, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate, self.groups)
        return self.activation(to_data_format(x, self.data_format))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        check_inputs(input_shape, self.rank, self.data_format, None, self.owner)
        return self.output_shape_with(input_shape, self.spatial_output_shape(input_shape), self.filters)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
