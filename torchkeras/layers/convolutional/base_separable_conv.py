"""`BaseSeparableConv`: the N-D separable convolution behind `SeparableConv1D` and `SeparableConv2D`."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import activations, constraints, initializers, regularizers
from torchkeras.layers.convolutional.base_conv import ConvWindow, torch_kernel_layout
from torchkeras.layers.convolutional.base_depthwise_conv import depthwise_kernel_layout, grouped_kernel
from torchkeras.layers.convolutional.conv_utils import (
    check_inputs,
    convolve,
    to_channels_first,
    to_data_format,
)
from torchkeras.utils.validation import check_positive_int

__all__ = ["BaseSeparableConv"]


class BaseSeparableConv(ConvWindow):
    """N-D separable convolution: a depthwise convolution (each input channel convolved with
    its own `depth_multiplier` filters) followed by a pointwise (1x1) convolution mixing the
    channels into `filters` outputs.

    Weights, in Keras's layouts: `depthwise_kernel` `(*kernel_size, channels,
    depth_multiplier)`, `pointwise_kernel` `(1, ..., 1, channels * depth_multiplier, filters)`
    and `bias` `(filters,)`.

    Args:
        rank: number of spatial dimensions (1 or 2).
        depth_multiplier: positive integer, depthwise filters per input channel.
        filters: positive integer, number of output channels.
        kernel_size: integer or tuple of `rank` integers, the depthwise window size.
        strides: integer or tuple of `rank` integers, the step of the depthwise window.
        padding: `"valid"` or `"same"` (Keras's rule: the extra cell goes at the end).
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        dilation_rate: integer or tuple of `rank` integers, the spacing of the kernel taps.
        activation: activation function (name or callable); `None` means linear.
        use_bias: whether to add a bias vector.
        depthwise_initializer, pointwise_initializer, bias_initializer: weight initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer: optional penalties.
        activity_regularizer: optional penalty on the output.
        depthwise_constraint, pointwise_constraint, bias_constraint: optional constraints.
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).
    """

    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        filters: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
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
        self.filters = check_positive_int(filters, "filters", self.owner)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape: tuple) -> None:
        channels = self.input_channels(input_shape)
        self.compute_output_shape(input_shape)  # rejects inputs smaller than a "valid" window
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel",
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            layout=depthwise_kernel_layout(self.rank),
        )
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
            layout=torch_kernel_layout(self.rank),
        )
        self.add_bias(self.filters)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        channels = self.depthwise_kernel.shape[0]
        self.check_call_inputs(inputs, channels)
        x = to_channels_first(inputs, self.data_format)
        depthwise = grouped_kernel(self.depthwise_kernel)
        x = convolve(x, depthwise, None, self.strides, self.padding, self.dilation_rate, channels)
        ones = (1,) * self.rank
        x = convolve(x, self.pointwise_kernel, self.bias, ones, "valid", ones)
        return self.activation(to_data_format(x, self.data_format))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        check_inputs(input_shape, self.rank, self.data_format, None, self.owner)
        return self.output_shape_with(input_shape, self.spatial_output_shape(input_shape), self.filters)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
