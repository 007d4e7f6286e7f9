"""`BaseDepthwiseConv`: the N-D depthwise convolution behind `DepthwiseConv1D` and `DepthwiseConv2D`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import activations, constraints, initializers, regularizers
from torchkeras.layers.convolutional.base_conv import ConvWindow
from torchkeras.layers.convolutional.conv_utils import (
    convolve,
    to_channels_first,
    to_data_format,
)
from torchkeras.layers.variable import Permuted
from torchkeras.utils.validation import check_positive_int

__all__ = ["BaseDepthwiseConv", "depthwise_kernel_layout", "grouped_kernel"]


def depthwise_kernel_layout(rank: int) -> Permuted:
    """Stores a Keras depthwise kernel `(*kernel_size, channels, depth_multiplier)` as
    `(channels, depth_multiplier, *kernel_size)`, a free view of torch's grouped kernel
    `(channels * depth_multiplier, 1, *kernel_size)`."""
    return Permuted((rank, rank + 1, *range(rank)))


def grouped_kernel(kernel: torch.Tensor) -> torch.Tensor:
    """The stored depthwise kernel as torch's `(channels * depth_multiplier, 1, *kernel_size)`."""
    return kernel.flatten(0, 1).unsqueeze(1)


class BaseDepthwiseConv(ConvWindow):
    """N-D depthwise convolution: each input channel is convolved with its own
    `depth_multiplier` filters; the outputs are stacked channel by channel
    (`channels * depth_multiplier` output channels, those of channel 0 first).

    Args:
        rank: number of spatial dimensions (1 or 2).
        depth_multiplier: positive integer, filters per input channel.
        kernel_size: integer or tuple of `rank` integers, the window size.
        strides: integer or tuple of `rank` integers, the step of the window.
        padding: `"valid"` or `"same"` (Keras's rule: the extra cell goes at the end).
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        dilation_rate: integer or tuple of `rank` integers, the spacing of the kernel taps.
        activation: activation function (name or callable); `None` means linear.
        use_bias: whether to add a bias vector.
        depthwise_initializer, bias_initializer: initializers of the weights.
        depthwise_regularizer, bias_regularizer: optional weight penalties.
        activity_regularizer: optional penalty on the output.
        depthwise_constraint, bias_constraint: optional weight constraints.
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).
    """

    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.set_window(
            rank,
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            strided_dilation=True,
        )
        self.depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier", self.owner)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape: tuple) -> None:
        channels = self.input_channels(input_shape)
        self.compute_output_shape(input_shape)  # rejects inputs smaller than a "valid" window
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            layout=depthwise_kernel_layout(self.rank),
        )
        self.add_bias(channels * self.depth_multiplier)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        channels = self.kernel.shape[0]
        self.check_call_inputs(inputs, channels)
        x = to_channels_first(inputs, self.data_format)
        kernel = grouped_kernel(self.kernel)
        x = convolve(x, kernel, self.bias, self.strides, self.padding, self.dilation_rate, channels)
        return self.activation(to_data_format(x, self.data_format))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        channels = self.input_channels(input_shape) * self.depth_multiplier
        return self.output_shape_with(input_shape, self.spatial_output_shape(input_shape), channels)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
