"""ConvNeXtTiny/Small/Base/Large/XLarge (`keras.applications.convnext`).

Liu et al., "A ConvNet for the 2020s" (2022): a patchify stem, four stages of 7x7 depthwise
convolution + LayerNormalization + inverted MLP blocks with layer scale and stochastic depth.
The models take raw [0, 255] pixels and normalize them first (`preprocess_input` is the identity).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchkeras import config, initializers, layers
from torchkeras.applications import imagenet_utils
from torchkeras.applications.builder import finish, image_input, pool
from torchkeras.applications.pretrained import check_weights_argument
from torchkeras.layers.layer import Layer
from torchkeras.models.sequential import Sequential
from torchkeras.utils.registry import register_builtin

__all__ = [
    "ConvNeXtBase",
    "ConvNeXtLarge",
    "ConvNeXtSmall",
    "ConvNeXtTiny",
    "ConvNeXtXLarge",
    "decode_predictions",
    "preprocess_input",
]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
# sha256 of (with top, without top) per published file.
WEIGHTS_HASHES = {
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}
MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024], "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536], "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048], "default_size": 224},
}


@register_builtin
class StochasticDepth(Layer):
    """Drops the whole residual branch of a sample with probability `drop_path_rate` in training."""

    _keras_module = "keras.src.applications.convnext"

    def __init__(self, drop_path_rate: float, **kwargs: Any):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def call(self, x: Any, training: bool | None = None) -> Any:
        if not training:
            return x
        keep = 1.0 - self.drop_path_rate
        mask = torch.floor(
            keep + torch.rand((x.shape[0],) + (1,) * (x.ndim - 1), dtype=x.dtype, device=x.device)
        )
        return x / keep * mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


@register_builtin
class LayerScale(Layer):
    """Multiplies each channel by a learned factor initialized to `init_values`."""

    _keras_module = "keras.src.applications.convnext"

    def __init__(self, init_values: float, projection_dim: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape: Any) -> None:
        self.gamma = self.add_weight(
            shape=(self.projection_dim,), initializer=initializers.Constant(self.init_values), trainable=True
        )

    def call(self, x: Any) -> Any:
        return x * self.gamma

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "init_values": self.init_values,
            "projection_dim": self.projection_dim,
        }


def ConvNeXtBlock(  # noqa: N802 (Keras's name)
    projection_dim: int,
    drop_path_rate: float = 0.0,
    layer_scale_init_value: float | None = 1e-6,
    name: str = "",
) -> Any:
    """A function applying one ConvNeXt block (depthwise 7x7, LayerNorm, MLP, scale) with its residual."""

    def apply(inputs: Any) -> Any:
        x = layers.Conv2D(
            filters=projection_dim,
            kernel_size=7,
            padding="same",
            groups=projection_dim,
            name=f"{name}_depthwise_conv",
        )(inputs)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            branch = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            branch = layers.Activation("linear", name=f"{name}_identity")
        return inputs + branch(x)

    return apply


def ConvNeXt(  # noqa: N802
    depths: list[int],
    projection_dims: list[int],
    drop_path_rate: float = 0.0,
    layer_scale_init_value: float = 1e-6,
    default_size: int = 224,
    name: str = "convnext",
    include_preprocessing: bool = True,
    include_top: bool = True,
    weights: str | None = None,
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    weights_name: str | None = None,
) -> Any:
    """A ConvNeXt with `depths[i]` blocks of width `projection_dims[i]` in stage `i` (channels_last)."""
    if config.image_data_format() == "channels_first":
        raise ValueError(
            "ConvNeXt does not support the `channels_first` image data format. Switch to "
            "`channels_last` by editing your local config file at ~/.keras/keras.json"
        )
    check_weights_argument(weights, include_top, classes, classifier_activation)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, 32, config.image_data_format(), include_top, weights
    )
    img_input = image_input(input_tensor, input_shape)
    x = img_input
    if include_preprocessing and input_shape[2] == 3:
        mean = [0.485 * 255, 0.456 * 255, 0.406 * 255]
        variance = [(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2]
        x = layers.Normalization(mean=mean, variance=variance, name=f"{name}_prestem_normalization")(x)
    stem = Sequential(
        [
            layers.Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
        ],
        name=f"{name}_stem",
    )
    downsamplers = [stem] + [
        Sequential(
            [
                layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
                layers.Conv2D(
                    projection_dims[i + 1], kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{i}"
                ),
            ],
            name=f"{name}_downsampling_block_{i}",
        )
        for i in range(3)
    ]
    drop_rates = [float(rate) for rate in np.linspace(0.0, drop_path_rate, sum(depths))]
    done = 0
    for stage in range(4):
        x = downsamplers[stage](x)
        for j in range(depths[stage]):
            x = ConvNeXtBlock(
                projection_dims[stage],
                drop_rates[done + j],
                layer_scale_init_value,
                name=f"{name}_stage_{stage}_block_{j}",
            )(x)
        done += depths[stage]
    if include_top:
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
    else:
        x = layers.LayerNormalization(epsilon=1e-6)(pool(x, pooling))
    imagenet_file = None
    if weights == "imagenet":
        variant = MODEL_CONFIGS[weights_name.split("convnext_")[-1]]
        if depths != variant["depths"] or projection_dims != variant["projection_dims"]:
            raise ValueError(
                f"Architecture configuration does not match {weights_name} variant. When using pre-trained "
                "weights, the model architecture must match the pre-trained configuration exactly. Expected "
                f"depths: {variant['depths']}, got: {depths}. Expected projection_dims: "
                f"{variant['projection_dims']}, got: {projection_dims}."
            )
        if weights_name not in name:
            raise ValueError(
                f'Model name "{name}" does not match weights variant "{weights_name}". When using imagenet '
                f'weights, model name must contain the weights variant (e.g., "{weights_name}").'
            )
        file_name = name + (".h5" if include_top else "_notop.h5")
        imagenet_file = (
            file_name,
            BASE_WEIGHTS_PATH + file_name,
            WEIGHTS_HASHES[weights_name][0 if include_top else 1],
        )
    return finish(input_tensor, img_input, x, name, weights, imagenet_file)


def _variant(size: str, name: str, arguments: dict[str, Any]) -> Any:
    variant = MODEL_CONFIGS[size]
    keys = (
        "include_top",
        "include_preprocessing",
        "weights",
        "input_tensor",
        "input_shape",
        "pooling",
        "classes",
    )
    return ConvNeXt(
        variant["depths"],
        variant["projection_dims"],
        drop_path_rate=0.0,
        layer_scale_init_value=1e-6,
        default_size=variant["default_size"],
        name=name,
        classifier_activation=arguments["classifier_activation"],
        weights_name=f"convnext_{size}",
        **{key: arguments[key] for key in keys},
    )


def ConvNeXtTiny(  # noqa: N802
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "convnext_tiny",
) -> Any:
    """ConvNeXtTiny: 3-3-9-3 blocks of widths 96-192-384-768.

    Args:
        include_top: whether to end with the classifier head.
        include_preprocessing: whether the model normalizes raw [0, 255] inputs itself.
        weights: `None` (random), `"imagenet"` or a weights file path.
        input_tensor: optional symbolic tensor (from `keras.Input()`) to use as the image input.
        input_shape: image shape without the batch axis; each side at least 32.
        pooling: with `include_top=False`: `None`, `"avg"` or `"max"` (then LayerNormalization).
        classes: number of classes (1000 with ImageNet weights).
        classifier_activation: the classifier's activation; `None` returns logits.
        name: the model's name (must contain the variant, e.g. "convnext_tiny", with ImageNet weights).

    Returns:
        A functional `Model`.
    """
    return _variant("tiny", name, locals())


def ConvNeXtSmall(  # noqa: N802
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "convnext_small",
) -> Any:
    """ConvNeXtSmall: 3-3-27-3 blocks of widths 96-192-384-768; arguments as `ConvNeXtTiny`."""
    return _variant("small", name, locals())


def ConvNeXtBase(  # noqa: N802
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "convnext_base",
) -> Any:
    """ConvNeXtBase: 3-3-27-3 blocks of widths 128-256-512-1024; arguments as `ConvNeXtTiny`."""
    return _variant("base", name, locals())


def ConvNeXtLarge(  # noqa: N802
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "convnext_large",
) -> Any:
    """ConvNeXtLarge: 3-3-27-3 blocks of widths 192-384-768-1536; arguments as `ConvNeXtTiny`."""
    return _variant("large", name, locals())


def ConvNeXtXLarge(  # noqa: N802
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "convnext_xlarge",
) -> Any:
    """ConvNeXtXLarge: 3-3-27-3 blocks of widths 256-512-1024-2048; arguments as `ConvNeXtTiny`."""
    return _variant("xlarge", name, locals())


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """The identity: ConvNeXt models normalize inside (`include_preprocessing`)."""
    return x


def decode_predictions(preds: Any, top: int = 5) -> list:
    """The `top` ImageNet classes per sample; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
