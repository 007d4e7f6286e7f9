"""MobileNetV2 (`keras.applications.mobilenet_v2`): inverted residuals with linear bottlenecks.

Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks" (2018). `alpha` scales
the widths; ImageNet weights exist for square inputs of 96/128/160/192/224 pixels.
"""

from __future__ import annotations

from typing import Any

from torchkeras import config, layers
from torchkeras.applications import imagenet_utils
from torchkeras.applications.builder import finish, image_input, pool
from torchkeras.applications.mobilenet import (
    decode_predictions,
    preprocess_input,
    square_input_size,
    weights_rows,
)
from torchkeras.applications.pretrained import check_weights_argument

__all__ = ["MobileNetV2", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
_SIZES = (96, 128, 160, 192, 224)
# (filters, stride, expansion) of blocks 0..16.
_BLOCKS = (
    [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6)]
    + [(64, 2, 6)]
    + [(64, 1, 6)] * 3
    + [(96, 1, 6)] * 3
    + [(160, 2, 6)]
    + [(160, 1, 6)] * 2
    + [(320, 1, 6)]
)


def make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """`value` rounded to a multiple of `divisor`, never below `min_value` nor 10% below `value`."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def MobileNetV2(  # noqa: N802 (Keras's name)
    input_shape: tuple | None = None,
    alpha: float = 1.0,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> Any:
    """MobileNetV2.

    Args:
        input_shape: image shape without the batch axis; each side at least 32.
        alpha: width multiplier (ImageNet weights: 0.35, 0.5, 0.75, 1.0, 1.3 or 1.4).
        include_top: whether to end with the classifier.
        weights: `None` (random), `"imagenet"` or a weights file path.
        input_tensor: optional symbolic tensor (from `keras.Input()`) to use as the image input.
        pooling: with `include_top=False`: `None`, `"avg"` or `"max"`.
        classes: number of classes (1000 with ImageNet weights).
        classifier_activation: the classifier's activation; `None` returns logits.
        name: the model's name; defaults to `mobilenetv2_{alpha:.2f}_{rows}`.

    Returns:
        A functional `Model`. Inputs are expected preprocessed with `mobilenet_v2.preprocess_input`.
    """
    check_weights_argument(weights, include_top, classes, classifier_activation)
    channels_first = config.image_data_format() == "channels_first"
    if input_shape is not None and input_tensor is not None:
        side = input_tensor.shape[1] if channels_first else input_tensor.shape[2]
        if side != input_shape[1]:
            raise ValueError(
                "input_tensor.shape[2] must equal input_shape[1]; Received "
                f"`input_tensor.shape={input_tensor.shape}`, `input_shape={input_shape}`"
            )
    shape_for_size = input_shape
    if input_shape is None and input_tensor is not None and hasattr(input_tensor, "shape"):
        shape_for_size = tuple(input_tensor.shape[1:])
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        square_input_size(shape_for_size, _SIZES),
        32,
        config.image_data_format(),
        include_top,
        weights,
    )
    rows = input_shape[1 if channels_first else 0]
    if weights == "imagenet":
        if alpha not in (0.35, 0.5, 0.75, 1.0, 1.3, 1.4):
            raise ValueError(
                "If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, `0.75`, "
                f"`1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`"
            )
        rows = weights_rows(input_shape, _SIZES)
    img_input = image_input(input_tensor, input_shape)
    axis = 1 if channels_first else -1
    x = layers.Conv2D(
        make_divisible(32 * alpha, 8),
        kernel_size=3,
        strides=(2, 2),
        padding="same",
        use_bias=False,
        name="Conv1",
    )(img_input)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last_filters = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = pool(x, pooling)
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    imagenet_file = None
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file_name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{suffix}.h5"
        imagenet_file = (file_name, BASE_WEIGHT_PATH + file_name, None)
    return finish(input_tensor, img_input, x, name, weights, imagenet_file)


def _inverted_res_block(
    inputs: Any, expansion: int, stride: int, alpha: float, filters: int, block_id: int
) -> Any:
    """Expand (1x1), depthwise 3x3, project (1x1, linear); a residual when shapes allow."""
    axis = 1 if config.image_data_format() == "channels_first" else -1
    in_channels = inputs.shape[axis]
    out_channels = make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(
            expansion * in_channels, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}expand"
        )(x)
        x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(
        kernel_size=3,
        strides=stride,
        use_bias=False,
        padding="same" if stride == 1 else "valid",
        name=f"{prefix}depthwise",
    )(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(out_channels, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}project_BN")(x)
    if in_channels == out_channels and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x
