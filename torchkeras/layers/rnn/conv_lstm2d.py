"""`ConvLSTM2D`: a 2-D convolutional LSTM."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.rnn.conv_lstm import ConvLSTM
from torchkeras.utils.registry import register_builtin

__all__ = ["ConvLSTM2D"]


@register_builtin
class ConvLSTM2D(ConvLSTM):
    """2-D convolutional LSTM: an LSTM whose input and recurrent transformations are 2-D
    convolutions. Takes `ConvLSTM`'s arguments (all but `rank`), in Keras's order.

    Input shape:
        `(batch, time, rows, cols, channels)` with `data_format="channels_last"`, channels
        right after `time` with `"channels_first"`.

    Output shape:
        `(batch, *output_spatial, filters)`; with `return_sequences`, a time axis after the
        batch; with `return_state`, `(output, h, c)`.

    Example:
    ```python
    layer = keras.layers.ConvLSTM2D(8, 3)
    y = layer(np.zeros((4, 10, 16, 16, 3)))  # shape (4, 14, 14, 8)
    ```
    """

    def __init__(
        self,
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
        super().__init__(
            2, filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
            recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, activity_regularizer, kernel_constraint, recurrent_constraint,
            bias_constraint, dropout, recurrent_dropout, seed, return_sequences, return_state,
            go_backwards, stateful, **kwargs,
        )  # fmt: skip
