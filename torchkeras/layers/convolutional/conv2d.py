"""`Conv2D`: 2D convolution layer."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.convolutional.base_conv import BaseConv
from torchkeras.utils.registry import register_builtin

__all__ = ["Conv2D", "Convolution2D"]


@register_builtin
class Conv2D(BaseConv):
    """2D convolution: slides `filters` kernels over the spatial axes of the inputs and
    returns `activation(conv(inputs, kernel) + bias)`.

    The kernel has Keras's layout `(k0, k1, channels // groups, filters)` in
    `get_weights()`.

    Args:
        filters: positive integer, number of output channels.
        kernel_size: integer or tuple of 2 integers, the window size.
        strides: integer or tuple of 2 integers, the window step. Strides above 1 cannot
            be combined with a dilation rate above 1.
        padding: `"valid"` or `"same"`. `"same"` gives `ceil(size / strides)` outputs, an odd
            extra padding cell going at the end, as in Keras.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        dilation_rate: integer or tuple of 2 integers, the spacing of the kernel taps.
        groups: positive integer dividing the input channels and `filters`; each group of
            input channels gets its own `filters // groups` filters.
        activation: activation function (name or callable); `None` means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers of the kernel and the bias.
        kernel_regularizer, bias_regularizer: optional weight penalties.
        activity_regularizer: optional penalty on the output.
        kernel_constraint, bias_constraint: optional weight constraints.
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, rows, cols, channels)` with `"channels_last"`, or
        `(batch_size, channels, rows, cols)` with `"channels_first"`.

    Output shape:
        `(batch_size, new_rows, new_cols, filters)` with `"channels_last"`, or
        `(batch_size, filters, new_rows, new_cols)` with `"channels_first"`.

    Example:
    ```python
    x = np.random.rand(4, 10, 10, 3).astype("float32")
    y = keras.layers.Conv2D(2, 3, activation="relu")(x)  # shape (4, 8, 8, 2)
    ```
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = (1, 1),
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
        super().__init__(
            rank=2,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


Convolution2D = Conv2D
register_builtin(Conv2D, "Convolution2D")
