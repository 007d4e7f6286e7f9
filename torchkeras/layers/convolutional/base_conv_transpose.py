"""`BaseConvTranspose`: the N-D transposed convolution behind `Conv1DTranspose` and friends."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import activations, constraints, initializers, regularizers
from torchkeras.layers.convolutional.base_conv import ConvWindow, torch_kernel_layout
from torchkeras.layers.convolutional.conv_utils import (
    check_inputs,
    convolve_transpose,
    to_channels_first,
    to_data_format,
)
from torchkeras.utils.shapes import conv_transpose_output_length, standardize_tuple
from torchkeras.utils.validation import check_positive_int, invalid

__all__ = ["BaseConvTranspose"]


class BaseConvTranspose(ConvWindow):
    """N-D transposed convolution ("deconvolution"): the gradient of a convolution with
    respect to its input, used to upsample.

    The kernel reads and writes in Keras's layout `(*kernel_size, filters, channels)` and is
    stored in torch's `(channels, filters, *kernel_size)`.

    Args:
        rank: number of spatial dimensions (1, 2 or 3).
        filters: positive integer, number of output channels.
        kernel_size: integer or tuple of `rank` integers, the window size.
        strides: integer or tuple of `rank` integers, the upsampling factor. Strides above 1
            cannot be combined with a dilation rate above 1.
        padding: `"valid"` or `"same"` (`"same"` gives `input * strides` output cells).
        output_padding: integer or tuple of `rank` integers, each smaller than its stride:
            the output grows by this many cells on the far side. `None` (default) lets the
            padding decide the output size, as Keras does.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        dilation_rate: integer or tuple of `rank` integers, the spacing of the kernel taps.
        activation: activation function (name or callable); `None` means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers of the weights.
        kernel_regularizer, bias_regularizer: optional weight penalties.
        activity_regularizer: optional penalty on the output.
        kernel_constraint, bias_constraint: optional weight constraints.
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: str = "valid",
        output_padding: int | tuple[int, ...] | None = None,
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
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
        self.set_window(rank, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias)
        self.filters = check_positive_int(filters, "filters", self.owner)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = standardize_tuple(
                output_padding, rank, "output_padding", self.owner, allow_zero=True
            )
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                expected = f"must be smaller than `strides` {self.strides}"
                raise invalid("output_padding", expected, output_padding, self.owner)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape: tuple) -> None:
        channels = self.input_channels(input_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, self.filters, channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            layout=torch_kernel_layout(self.rank, self.data_format),
        )
        self.add_bias(self.filters)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        check_inputs(inputs.shape, self.rank, self.data_format, self.kernel.shape[0], self.owner)
        x = to_channels_first(inputs, self.data_format)
        x = convolve_transpose(
            x, self.kernel, self.bias, self.strides, self.padding, self.output_padding, self.dilation_rate
        )
        return self.activation(to_data_format(x, self.data_format))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        check_inputs(input_shape, self.rank, self.data_format, None, self.owner)
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        output_padding = self.output_padding or (None,) * self.rank
        windows = zip(self.kernel_size, self.strides, output_padding, self.dilation_rate)
        spatial = tuple(
            conv_transpose_output_length(n, k, s, self.padding, p, d)
            for n, (k, s, p, d) in zip(spatial, windows)
        )
        return self.output_shape_with(input_shape, spatial, self.filters)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
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
