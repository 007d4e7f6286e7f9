"""`Conv1DTranspose`: 1D transposed convolution layer."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.convolutional.base_conv_transpose import BaseConvTranspose
from torchkeras.utils.registry import register_builtin

__all__ = ["Conv1DTranspose", "Convolution1DTranspose"]


@register_builtin
class Conv1DTranspose(BaseConvTranspose):
    """1D transposed convolution ("deconvolution"): maps each input cell to a window of
    outputs, the reverse of `Conv1D`'s connectivity; used to upsample by `strides`.

    The kernel has Keras's layout `(kernel_size, filters, channels)` in `get_weights()`.

    Args:
        filters: positive integer, number of output channels.
        kernel_size: integer or tuple of 1 integer, the window size.
        strides: integer or tuple of 1 integer, the upsampling factor. Strides above 1
            cannot be combined with a dilation rate above 1.
        padding: `"valid"` (output `(size - 1) * strides + max(kernel_size, strides)`) or
            `"same"` (output `size * strides`).
        output_padding: integer or tuple of 1 integer, each below its stride: with it the
            output size is `(size - 1) * strides + kernel_size + output_padding` ("valid") or
            `(size - 1) * strides + kernel_size % 2 + output_padding` ("same"). `None` by default.
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        dilation_rate: integer or tuple of 1 integer, the spacing of the kernel taps.
        activation: activation function (name or callable); `None` means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers of the kernel and the bias.
        kernel_regularizer, bias_regularizer: optional weight penalties.
        activity_regularizer: optional penalty on the output.
        kernel_constraint, bias_constraint: optional weight constraints.
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
    y = keras.layers.Conv1DTranspose(2, 3, strides=2, padding="same")(x)  # shape (4, 20, 2)
    ```
    """

    def __init__(
        self,
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
        super().__init__(
            rank=1,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
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


Convolution1DTranspose = Conv1DTranspose
register_builtin(Conv1DTranspose, "Convolution1DTranspose")
