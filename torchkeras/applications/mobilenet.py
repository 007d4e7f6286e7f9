"""MobileNet (`keras.applications.mobilenet`): depthwise-separable convolutions.

Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications"
(2017). `alpha` scales every layer's width; ImageNet weights exist for square inputs of
128/160/192/224 pixels. `square_input_size` is shared with MobileNetV2.
"""

from __future__ import annotations

import warnings
from typing import Any

from torchkeras import config, layers
from torchkeras.applications import imagenet_utils
from torchkeras.applications.builder import channel_axis, finish, image_input, pool
from torchkeras.applications.pretrained import check_weights_argument

__all__ = ["MobileNet", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}


def square_input_size(input_shape: tuple | None, sizes: tuple[int, ...]) -> int:
    """The given side when `input_shape` is square with a side in `sizes`, else 224."""
    if input_shape is None:
        return 224
    rows, cols = (
        (input_shape[1], input_shape[2])
        if config.image_data_format() == "channels_first"
        else input_shape[:2]
    )
    return rows if rows == cols and rows in sizes else 224


def weights_rows(input_shape: tuple, sizes: tuple[int, ...]) -> int:
    """The input side whose ImageNet weights to load (224 with a warning when there are none)."""
    rows, cols = (
        (input_shape[1], input_shape[2])
        if config.image_data_format() == "channels_first"
        else input_shape[:2]
    )
    if rows != cols or rows not in sizes:
        warnings.warn(
            f"`input_shape` is undefined or non-square, or `rows` is not in {list(sizes)}. Weights for "
            "input shape (224, 224) will be loaded as the default.",
            stacklevel=3,
        )
        return 224
    return rows


def MobileNet(  # noqa: N802 (Keras's name)
    input_shape: tuple | None = None,
    alpha: float = 1.0,
    depth_multiplier: int = 1,
    dropout: float = 1e-3,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> Any:
    """MobileNet (v1).

    Args:
        input_shape: image shape without the batch axis; each side at least 32.
        alpha: width multiplier (ImageNet weights: 0.25, 0.5, 0.75 or 1.0).
        depth_multiplier: depthwise channel multiplier (1 with ImageNet weights).
        dropout: dropout rate before the classifier.
        include_top: whether to end with the classifier.
        weights: `None` (random), `"imagenet"` or a weights file path.
        input_tensor: optional symbolic tensor (from `keras.Input()`) to use as the image input.
        pooling: with `include_top=False`: `None`, `"avg"` or `"max"`.
        classes: number of classes (1000 with ImageNet weights).
        classifier_activation: the classifier's activation; `None` returns logits.
        name: the model's name; defaults to `mobilenet_{alpha:.2f}_{rows}`.

    Returns:
        A functional `Model`. Inputs are expected preprocessed with `mobilenet.preprocess_input`.
    """
    check_weights_argument(weights, include_top, classes, classifier_activation)
    sizes = (128, 160, 192, 224)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        square_input_size(input_shape, sizes),
        32,
        config.image_data_format(),
        include_top,
        weights,
    )
    row_axis = 1 if config.image_data_format() == "channels_first" else 0
    rows = input_shape[row_axis]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                "If imagenet weights are being loaded, depth multiplier must be 1.  "
                f"Received depth_multiplier={depth_multiplier}"
            )
        if alpha not in _ALPHA_TEXT:
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, `0.75` or "
                f"`1.0` only.  Received alpha={alpha}"
            )
        rows = weights_rows(input_shape, sizes)
    img_input = image_input(input_tensor, input_shape)
    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    plan = (
        [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    )
    for block_id, (filters, stride) in enumerate(plan, start=1):
        x = _depthwise_conv_block(
            x, filters, alpha, depth_multiplier, strides=(stride, stride), block_id=block_id
        )
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = pool(x, pooling)
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    imagenet_file = None
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file_name = f"mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf{suffix}.h5"
        imagenet_file = (file_name, BASE_WEIGHT_PATH + file_name, None)
    return finish(input_tensor, img_input, x, name, weights, imagenet_file)


def _conv_block(
    inputs: Any, filters: int, alpha: float, kernel: tuple = (3, 3), strides: tuple = (1, 1)
) -> Any:
    x = layers.Conv2D(
        int(filters * alpha), kernel, padding="same", use_bias=False, strides=strides, name="conv1"
    )(inputs)
    x = layers.BatchNormalization(axis=channel_axis(), name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(
    inputs: Any, filters: int, alpha: float, depth_multiplier: int, strides: tuple, block_id: int
) -> Any:
    """Depthwise 3x3 (strided blocks pad bottom/right first), then a pointwise 1x1, each BN-ReLU6."""
    x = inputs
    if strides != (1, 1):
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D(
        (3, 3),
        padding="same" if strides == (1, 1) else "valid",
        depth_multiplier=depth_multiplier,
        strides=strides,
        use_bias=False,
        name=f"conv_dw_{block_id}",
    )(x)
    x = layers.BatchNormalization(axis=channel_axis(), name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(
        int(filters * alpha), (1, 1), padding="same", use_bias=False, name=f"conv_pw_{block_id}"
    )(x)
    x = layers.BatchNormalization(axis=channel_axis(), name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales pixels from [0, 255] to [-1, 1] ("tf" mode of `imagenet_utils.preprocess_input`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list:
    """The `top` ImageNet classes per sample; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
