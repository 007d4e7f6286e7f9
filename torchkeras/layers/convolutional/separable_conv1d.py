"""`SeparableConv1D`: 1D separable convolution layer."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.convolutional.base_separable_conv import BaseSeparableConv
from torchkeras.utils.registry import register_builtin

__all__ = ["SeparableConv1D", "SeparableConvolution1D"]


@register_builtin
class SeparableConv1D(BaseSeparableConv):
    """1D separable convolution: a depthwise convolution (each input channel with its own
    `depth_multiplier` kernels) followed by a pointwise (1x1) convolution that mixes the
    channels into `filters` outputs. Cheaper than `Conv1D` for the same window.

    Weights in Keras's layouts: `depthwise_kernel` `(kernel_size, channels, depth_multiplier)`,
    `pointwise_kernel` `(1, channels * depth_multiplier, filters)`, `bias` `(filters,)`.

    Args:
        filters: positive integer, number of output channels.
        kernel_size: integer or tuple of 1 integer, the depthwise window size.
        strides: integer or tuple of 1 integer, the depthwise window step.
        padding: `"valid"` or `"same"` (Keras's rule: an odd extra cell goes at the end).
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        dilation_rate: integer or tuple of 1 integer, the spacing of the kernel taps.
        depth_multiplier: positive integer, depthwise kernels per input channel.
        activation: activation function (name or callable); `None` means linear.
        use_bias: whether to add a bias vector.
        depthwise_initializer, pointwise_initializer, bias_initializer: weight initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer: optional penalties.
        activity_regularizer: optional penalty on the output.
        depthwise_constraint, pointwise_constraint, bias_constraint: optional constraints.
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, steps, channels)` with `"channels_last"`, or
        `(batch_size, channels, steps)` with `"channels_first"`.

    Output shape:
        `(batch_size, new_steps, filters)` with `"channels_last"`, or
        `(batch_size, filters, new_steps)` with `"channels_first"`.

    Example:
    ```python
    x = np.random.rand(4, 10, 3).astype("float32")
    y = keras.layers.SeparableConv1D(2, 3)(x)  # shape (4, 8, 2)
    ```
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        depth_multiplier: int = 1,
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
        super().__init__(
            rank=1,
            depth_multiplier=depth_multiplier,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


SeparableConvolution1D = SeparableConv1D
register_builtin(SeparableConv1D, "SeparableConvolution1D")
