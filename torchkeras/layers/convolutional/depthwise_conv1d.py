"""`DepthwiseConv1D`: 1D depthwise convolution layer."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv
from torchkeras.utils.registry import register_builtin

__all__ = ["DepthwiseConv1D"]


@register_builtin
class DepthwiseConv1D(BaseDepthwiseConv):
    """1D depthwise convolution: convolves each input channel with its own
    `depth_multiplier` kernels, without mixing channels. Output channel `c * depth_multiplier + m`
    comes from input channel `c` and kernel `m`.

    The kernel has Keras's layout `(kernel_size, channels, depth_multiplier)` in `get_weights()`.

    Args:
        kernel_size: integer or tuple of 1 integer, the window size.
        strides: integer or tuple of 1 integer, the window step.
        padding: `"valid"` or `"same"` (Keras's rule: an odd extra cell goes at the end).
        depth_multiplier: positive integer, kernels per input channel.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        dilation_rate: integer or tuple of 1 integer, the spacing of the kernel taps.
        activation: activation function (name or callable); `None` means linear.
        use_bias: whether to add a bias vector (of `channels * depth_multiplier` entries).
        depthwise_initializer, bias_initializer: initializers of the kernel and the bias.
        depthwise_regularizer, bias_regularizer: optional weight penalties.
        activity_regularizer: optional penalty on the output.
        depthwise_constraint, bias_constraint: optional weight constraints.
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, steps, channels)` with `"channels_last"`, or
        `(batch_size, channels, steps)` with `"channels_first"`.

    Output shape:
        `(batch_size, new_steps, channels * depth_multiplier)` with `"channels_last"`, or
        `(batch_size, channels * depth_multiplier, new_steps)` with `"channels_first"`.

    Example:
    ```python
    x = np.random.rand(4, 10, 3).astype("float32")
    y = keras.layers.DepthwiseConv1D(3, depth_multiplier=2)(x)  # shape (4, 8, 6)
    ```
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
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
        super().__init__(
            rank=1,
            depth_multiplier=depth_multiplier,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
