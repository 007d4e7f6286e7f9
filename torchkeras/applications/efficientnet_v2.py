"""EfficientNetV2B0-B3/S/M/L (`keras.applications.efficientnet_v2`).

Tan & Le, "EfficientNetV2: Smaller Models and Faster Training" (2021): fused MBConv blocks early,
MBConv blocks with squeeze-and-excite later. With `include_preprocessing` the models take raw
[0, 255] pixels (so `preprocess_input` is the identity).
"""

from __future__ import annotations

import math
from typing import Any

from torchkeras import config, initializers, layers
from torchkeras.applications import imagenet_utils
from torchkeras.applications.builder import channel_axis, finish, image_input, pool
from torchkeras.applications.efficientnet import (
    CONV_KERNEL_INITIALIZER,
    DENSE_KERNEL_INITIALIZER,
    squeeze_excite,
)
from torchkeras.applications.pretrained import check_weights_argument

__all__ = [
    "EfficientNetV2B0",
    "EfficientNetV2B1",
    "EfficientNetV2B2",
    "EfficientNetV2B3",
    "EfficientNetV2L",
    "EfficientNetV2M",
    "EfficientNetV2S",
    "decode_predictions",
    "preprocess_input",
]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
# md5 of (with top, without top) per published file.
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}


def _plan(rows: list[tuple]) -> list[dict[str, Any]]:
    keys = (
        "kernel_size",
        "num_repeat",
        "input_filters",
        "output_filters",
        "expand_ratio",
        "se_ratio",
        "strides",
    )
    return [{**dict(zip(keys, row[:7])), "conv_type": row[7]} for row in rows]


_B_PLAN = [
    (3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1),
    (3, 3, 48, 96, 4, 0.25, 2, 0), (3, 5, 96, 112, 6, 0.25, 1, 0), (3, 8, 112, 192, 6, 0.25, 2, 0),
]  # fmt: skip
# Per variant, one row per stage: kernel, repeats, filters in/out, expansion, SE ratio, stride,
# conv type (1: fused MBConv, 0: MBConv).
DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": _plan([
        (3, 2, 24, 24, 1, 0, 1, 1), (3, 4, 24, 48, 4, 0, 2, 1), (3, 4, 48, 64, 4, 0, 2, 1),
        (3, 6, 64, 128, 4, 0.25, 2, 0), (3, 9, 128, 160, 6, 0.25, 1, 0), (3, 15, 160, 256, 6, 0.25, 2, 0),
    ]),
    "efficientnetv2-m": _plan([
        (3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1), (3, 5, 48, 80, 4, 0, 2, 1),
        (3, 7, 80, 160, 4, 0.25, 2, 0), (3, 14, 160, 176, 6, 0.25, 1, 0), (3, 18, 176, 304, 6, 0.25, 2, 0),
        (3, 5, 304, 512, 6, 0.25, 1, 0),
    ]),
    "efficientnetv2-l": _plan([
        (3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1), (3, 7, 64, 96, 4, 0, 2, 1),
        (3, 10, 96, 192, 4, 0.25, 2, 0), (3, 19, 192, 224, 6, 0.25, 1, 0), (3, 25, 224, 384, 6, 0.25, 2, 0),
        (3, 7, 384, 640, 6, 0.25, 1, 0),
    ]),
    **{f"efficientnetv2-b{i}": _plan(_B_PLAN) for i in range(4)},
}  # fmt: skip


def round_filters(filters: float, width_coefficient: float, min_depth: int, depth_divisor: int) -> int:
    """`filters` scaled by `width_coefficient`, rounded to a multiple of `depth_divisor`."""
    filters *= width_coefficient
    minimum = min_depth or depth_divisor
    return int(max(minimum, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats: int, depth_coefficient: float) -> int:
    return int(math.ceil(depth_coefficient * repeats))


def _conv(filters: int, kernel_size: int, strides: int, name: str) -> Any:
    return layers.Conv2D(
        filters, kernel_size=kernel_size, strides=strides, kernel_initializer=CONV_KERNEL_INITIALIZER,
        padding="same", use_bias=False, name=name,
    )  # fmt: skip


def _residual(x: Any, inputs: Any, survival_probability: float, name: str) -> Any:
    if survival_probability:
        x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, inputs], name=f"{name}add")


def MBConvBlock(  # noqa: N802 (Keras's name)
    input_filters: int,
    output_filters: int,
    expand_ratio: int = 1,
    kernel_size: int = 3,
    strides: int = 1,
    se_ratio: float = 0.0,
    bn_momentum: float = 0.9,
    activation: Any = "swish",
    survival_probability: float = 0.8,
    name: str = "",
) -> Any:
    """A function applying an MBConv block: expand 1x1, depthwise, squeeze-excite, project 1x1."""

    def apply(inputs: Any) -> Any:
        axis = channel_axis()
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, 1, 1, f"{name}expand_conv")(x)
            x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        x = layers.DepthwiseConv2D(
            kernel_size=kernel_size, strides=strides, depthwise_initializer=CONV_KERNEL_INITIALIZER,
            padding="same", use_bias=False, name=f"{name}dwconv2",
        )(x)  # fmt: skip
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)), activation, name)
        x = _conv(output_filters, 1, 1, f"{name}project_conv")(x)
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}project_bn")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, survival_probability, name)
        return x

    return apply


def FusedMBConvBlock(  # noqa: N802 (Keras's name)
    input_filters: int,
    output_filters: int,
    expand_ratio: int = 1,
    kernel_size: int = 3,
    strides: int = 1,
    se_ratio: float = 0.0,
    bn_momentum: float = 0.9,
    activation: Any = "swish",
    survival_probability: float = 0.8,
    name: str = "",
) -> Any:
    """A function applying a fused MBConv block: one full kxk expansion instead of 1x1 + depthwise."""

    def apply(inputs: Any) -> Any:
        axis = channel_axis()
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, kernel_size, strides, f"{name}expand_conv")(x)
            x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = layers.Activation(activation=activation, name=f"{name}expand_activation")(x)
        if 0 < se_ratio <= 1:
            x = squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)), activation, name)
        fused = expand_ratio == 1
        x = _conv(
            output_filters, kernel_size if fused else 1, strides if fused else 1, f"{name}project_conv"
        )(x)
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}project_bn")(x)
        if fused:
            x = layers.Activation(activation=activation, name=f"{name}project_activation")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, survival_probability, name)
        return x

    return apply


def EfficientNetV2(  # noqa: N802
    width_coefficient: float,
    depth_coefficient: float,
    default_size: int,
    dropout_rate: float = 0.2,
    drop_connect_rate: float = 0.2,
    depth_divisor: int = 8,
    min_depth: int = 8,
    bn_momentum: float = 0.9,
    activation: Any = "swish",
    blocks_args: Any = "default",
    name: str = "efficientnetv2",
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    weights_name: str | None = None,
) -> Any:
    """An EfficientNetV2 following `blocks_args` (by default the plan of the variant `weights_name`)."""
    variant = name
    if weights_name:  # "b0" -> "efficientnetv2-b0", "-s" -> "efficientnetv2-s"
        variant = "efficientnetv2" + (weights_name if weights_name.startswith("-") else f"-{weights_name}")
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS[variant]
    check_weights_argument(weights, include_top, classes, classifier_activation)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, 32, config.image_data_format(), include_top, weights
    )
    img_input = image_input(input_tensor, input_shape)
    axis = channel_axis()
    x = img_input
    if include_preprocessing:
        if variant.split("-")[-1].startswith("b") and input_shape[axis - 1] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(
                mean=[0.485, 0.456, 0.406], variance=[0.229**2, 0.224**2, 0.225**2], axis=axis
            )(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    def filters_for(count: int) -> int:
        return round_filters(count, width_coefficient, min_depth, depth_divisor)

    x = _conv(filters_for(blocks_args[0]["input_filters"]), 3, 2, "stem_conv")(x)
    x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    total = float(sum(args["num_repeat"] for args in blocks_args))
    index = 0
    for stage, args in enumerate(blocks_args, start=1):
        if args["num_repeat"] <= 0:
            raise ValueError(
                "The number of repeats in `EfficientNetV2` must be > 0. "
                f"Received: num_repeat={args['num_repeat']}"
            )
        block_args = {key: value for key, value in args.items() if key not in ("num_repeat", "conv_type")}
        block_args["input_filters"] = filters_for(args["input_filters"])
        block_args["output_filters"] = filters_for(args["output_filters"])
        block_fn = FusedMBConvBlock if args["conv_type"] == 1 else MBConvBlock
        for repeat in range(round_repeats(args["num_repeat"], depth_coefficient)):
            if repeat > 0:
                block_args["strides"] = 1
                block_args["input_filters"] = block_args["output_filters"]
            x = block_fn(
                activation=activation,
                bn_momentum=bn_momentum,
                survival_probability=drop_connect_rate * index / total,
                name=f"block{stage}{chr(repeat + 97)}_",
                **block_args,
            )(x)
            index += 1
    x = _conv(filters_for(1280), 1, 1, "top_conv")(x)
    x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name="top_bn")(x)
    x = layers.Activation(activation=activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        x = layers.Dense(
            classes, activation=classifier_activation, kernel_initializer=DENSE_KERNEL_INITIALIZER,
            bias_initializer=initializers.Constant(0.0), name="predictions",
        )(x)  # fmt: skip
    else:
        x = pool(x, pooling, "avg_pool", "max_pool")
    imagenet_file = None
    if weights_name in WEIGHTS_HASHES:
        file_name = variant + (".h5" if include_top else "_notop.h5")
        imagenet_file = (
            file_name,
            BASE_WEIGHTS_PATH + file_name,
            WEIGHTS_HASHES[weights_name][0 if include_top else 1],
        )
    return finish(input_tensor, img_input, x, name, weights, imagenet_file)


def _variant(width: float, depth: float, size: int, weights_name: str, name: str, arguments: dict) -> Any:
    keys = ("include_top", "weights", "input_tensor", "input_shape", "pooling", "classes")
    return EfficientNetV2(
        width,
        depth,
        size,
        name=name,
        classifier_activation=arguments["classifier_activation"],
        include_preprocessing=arguments["include_preprocessing"],
        weights_name=weights_name,
        **{key: arguments[key] for key in keys},
    )


def EfficientNetV2B0(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-b0",
) -> Any:
    """EfficientNetV2B0 (224x224 by default).

    Args:
        include_top: whether to end with the classifier.
        weights: `None` (random), `"imagenet"` or a weights file path.
        input_tensor: optional symbolic tensor (from `keras.Input()`) to use as the image input.
        input_shape: image shape without the batch axis; each side at least 32.
        pooling: with `include_top=False`: `None`, `"avg"` or `"max"`.
        classes: number of classes (1000 with ImageNet weights).
        classifier_activation: the classifier's activation; `None` returns logits.
        include_preprocessing: whether the model rescales raw [0, 255] inputs itself.
        name: the model's name.

    Returns:
        A functional `Model`.
    """
    return _variant(1.0, 1.0, 224, "b0", name, locals())


def EfficientNetV2B1(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-b1",
) -> Any:
    """EfficientNetV2B1 (240x240 by default); arguments as `EfficientNetV2B0`."""
    return _variant(1.0, 1.1, 240, "b1", name, locals())


def EfficientNetV2B2(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-b2",
) -> Any:
    """EfficientNetV2B2 (260x260 by default); arguments as `EfficientNetV2B0`."""
    return _variant(1.1, 1.2, 260, "b2", name, locals())


def EfficientNetV2B3(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-b3",
) -> Any:
    """EfficientNetV2B3 (300x300 by default); arguments as `EfficientNetV2B0`."""
    return _variant(1.2, 1.4, 300, "b3", name, locals())


def EfficientNetV2S(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-s",
) -> Any:
    """EfficientNetV2S (384x384 by default); arguments as `EfficientNetV2B0`."""
    return _variant(1.0, 1.0, 384, "-s", name, locals())


def EfficientNetV2M(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-m",
) -> Any:
    """EfficientNetV2M (480x480 by default); arguments as `EfficientNetV2B0`."""
    return _variant(1.0, 1.0, 480, "-m", name, locals())


def EfficientNetV2L(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-l",
) -> Any:
    """EfficientNetV2L (480x480 by default); arguments as `EfficientNetV2B0`."""
    return _variant(1.0, 1.0, 480, "-l", name, locals())


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """The identity: EfficientNetV2 models rescale inside (`include_preprocessing`)."""
    return x


def decode_predictions(preds: Any, top: int = 5) -> list:
    """The `top` ImageNet classes per sample; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
