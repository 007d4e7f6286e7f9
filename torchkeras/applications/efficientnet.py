"""EfficientNetB0-B7 (`keras.applications.efficientnet`): compound-scaled MBConv networks.

Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks" (2019). Each
variant scales the B0 plan's widths and depths; the models take raw [0, 255] pixels and rescale
and normalize them in their first layers (so `preprocess_input` is the identity).
"""

from __future__ import annotations

import math
from typing import Any

from torchkeras import config, layers
from torchkeras.applications import imagenet_utils
from torchkeras.applications.builder import channel_axis, common_arguments, finish, image_input, pool
from torchkeras.applications.pretrained import check_weights_argument

__all__ = [
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "decode_predictions",
    "preprocess_input",
]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"
# md5 of (with top, without top) per published file.
WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
# The B0 plan, one dict per stage (Keras's `DEFAULT_BLOCKS_ARGS` keys).
DEFAULT_BLOCKS_ARGS = [
    {"kernel_size": k, "repeats": r, "filters_in": i, "filters_out": o, "expand_ratio": e,
     "id_skip": True, "strides": s, "se_ratio": 0.25}
    for k, r, i, o, e, s in [
        (3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
        (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1),
    ]
]  # fmt: skip
CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
DENSE_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}
IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]


def round_filters(filters: float, width_coefficient: float, divisor: int = 8) -> int:
    """`filters` scaled by `width_coefficient`, rounded to a multiple of `divisor` (at most 10% down)."""
    filters *= width_coefficient
    rounded = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    return int(rounded + divisor if rounded < 0.9 * filters else rounded)


def EfficientNet(  # noqa: N802 (Keras's name)
    width_coefficient: float,
    depth_coefficient: float,
    default_size: int,
    dropout_rate: float = 0.2,
    drop_connect_rate: float = 0.2,
    depth_divisor: int = 8,
    activation: Any = "swish",
    blocks_args: Any = "default",
    name: str = "efficientnet",
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    weights_name: str | None = None,
) -> Any:
    """An EfficientNet: the B0 plan (`blocks_args`) scaled in width and depth."""
    blocks_args = DEFAULT_BLOCKS_ARGS if blocks_args == "default" else blocks_args
    check_weights_argument(weights, include_top, classes, classifier_activation)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, 32, config.image_data_format(), include_top, weights
    )
    img_input = image_input(input_tensor, input_shape)
    axis = channel_axis()

    def filters_for(count: float) -> int:
        return round_filters(count, width_coefficient, depth_divisor)

    def repeats_for(count: int) -> int:
        return int(math.ceil(depth_coefficient * count))

    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=axis)(x)
    if weights == "imagenet":
        # Keras's published weights store the variance where the standard deviation belongs.
        x = layers.Rescaling([1.0 / math.sqrt(stddev) for stddev in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(
        filters_for(32), 3, strides=2, padding="valid", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    total = float(sum(repeats_for(args["repeats"]) for args in blocks_args))
    index = 0
    for stage, args in enumerate(blocks_args, start=1):
        if args["repeats"] <= 0:
            raise ValueError(
                f"The number of repeats in `EfficientNet` must be > 0. Received: repeats={args['repeats']}"
            )
        block_args = {key: value for key, value in args.items() if key != "repeats"}
        block_args["filters_in"] = filters_for(args["filters_in"])
        block_args["filters_out"] = filters_for(args["filters_out"])
        for repeat in range(repeats_for(args["repeats"])):
            if repeat > 0:
                block_args["strides"] = 1
                block_args["filters_in"] = block_args["filters_out"]
            drop_rate = drop_connect_rate * index / total
            x = block(x, activation, drop_rate, name=f"block{stage}{chr(repeat + 97)}_", **block_args)
            index += 1
    x = layers.Conv2D(
        filters_for(1280), 1, padding="same", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name="top_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=axis, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        x = layers.Dense(
            classes, activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER, name="predictions",
        )(x)  # fmt: skip
    else:
        x = pool(x, pooling, "avg_pool", "max_pool")
    imagenet_file = None
    if weights_name in WEIGHTS_HASHES:
        file_name = f"efficientnet{weights_name}{'.h5' if include_top else '_notop.h5'}"
        imagenet_file = (
            file_name,
            BASE_WEIGHTS_PATH + file_name,
            WEIGHTS_HASHES[weights_name][0 if include_top else 1],
        )
    return finish(input_tensor, img_input, x, name, weights, imagenet_file)


def block(
    inputs: Any,
    activation: Any = "swish",
    drop_rate: float = 0.0,
    name: str = "",
    filters_in: int = 32,
    filters_out: int = 16,
    kernel_size: int = 3,
    strides: int = 1,
    expand_ratio: int = 1,
    se_ratio: float = 0.0,
    id_skip: bool = True,
) -> Any:
    """The MBConv block: expand, depthwise, squeeze-and-excite, project, and a dropped residual."""
    axis = channel_axis()
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(
            filters, 1, padding="same", use_bias=False,
            kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}expand_conv",
        )(x)  # fmt: skip
        x = layers.BatchNormalization(axis=axis, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    padding = "same"
    if strides == 2:
        x = layers.ZeroPadding2D(
            padding=imagenet_utils.correct_pad(x, kernel_size), name=f"{name}dwconv_pad"
        )(x)
        padding = "valid"
    x = layers.DepthwiseConv2D(
        kernel_size, strides=strides, padding=padding, use_bias=False,
        depthwise_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}dwconv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters, max(1, int(filters_in * se_ratio)), activation, name)
    x = layers.Conv2D(
        filters_out, 1, padding="same", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}project_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=axis, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def squeeze_excite(x: Any, filters: int, filters_se: int, activation: Any, name: str) -> Any:
    """Channel attention: global pooling, a bottleneck of two 1x1 convolutions, a sigmoid gate."""
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se_shape = (filters, 1, 1) if channel_axis() == 1 else (1, 1, filters)
    se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
    se = layers.Conv2D(
        filters_se, 1, padding="same", activation=activation,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_reduce",
    )(se)  # fmt: skip
    se = layers.Conv2D(
        filters, 1, padding="same", activation="sigmoid",
        kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_expand",
    )(se)  # fmt: skip
    return layers.multiply([x, se], name=f"{name}se_excite")


def _variant(
    width: float, depth: float, size: int, dropout: float, weights_name: str, name: str, arguments: dict
) -> Any:
    return EfficientNet(
        width, depth, size, dropout, name=name, weights_name=weights_name, **common_arguments(arguments)
    )


def EfficientNetB0(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb0",
) -> Any:
    """EfficientNetB0 (224x224 by default).

    Args:
        include_top: whether to end with the classifier.
        weights: `None` (random), `"imagenet"` or a weights file path.
        input_tensor: optional symbolic tensor (from `keras.Input()`) to use as the image input.
        input_shape: image shape without the batch axis; each side at least 32.
        pooling: with `include_top=False`: `None`, `"avg"` or `"max"`.
        classes: number of classes (1000 with ImageNet weights).
        classifier_activation: the classifier's activation; `None` returns logits.
        name: the model's name.

    Returns:
        A functional `Model` taking raw [0, 255] pixels.
    """
    return _variant(1.0, 1.0, 224, 0.2, "b0", name, locals())


def EfficientNetB1(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb1",
) -> Any:
    """EfficientNetB1 (240x240 by default); arguments as `EfficientNetB0`."""
    return _variant(1.0, 1.1, 240, 0.2, "b1", name, locals())


def EfficientNetB2(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb2",
) -> Any:
    """EfficientNetB2 (260x260 by default); arguments as `EfficientNetB0`."""
    return _variant(1.1, 1.2, 260, 0.3, "b2", name, locals())


def EfficientNetB3(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb3",
) -> Any:
    """EfficientNetB3 (300x300 by default); arguments as `EfficientNetB0`."""
    return _variant(1.2, 1.4, 300, 0.3, "b3", name, locals())


def EfficientNetB4(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb4",
) -> Any:
    """EfficientNetB4 (380x380 by default); arguments as `EfficientNetB0`."""
    return _variant(1.4, 1.8, 380, 0.4, "b4", name, locals())


def EfficientNetB5(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb5",
) -> Any:
    """EfficientNetB5 (456x456 by default); arguments as `EfficientNetB0`."""
    return _variant(1.6, 2.2, 456, 0.4, "b5", name, locals())


def EfficientNetB6(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb6",
) -> Any:
    """EfficientNetB6 (528x528 by default); arguments as `EfficientNetB0`."""
    return _variant(1.8, 2.6, 528, 0.5, "b6", name, locals())


def EfficientNetB7(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb7",
) -> Any:
    """EfficientNetB7 (600x600 by default); arguments as `EfficientNetB0`."""
    return _variant(2.0, 3.1, 600, 0.5, "b7", name, locals())


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """The identity: EfficientNet models rescale and normalize inside (kept for API parity)."""
    return x


def decode_predictions(preds: Any, top: int = 5) -> list:
    """The `top` ImageNet classes per sample; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
