"""VGG16 (`keras.applications.vgg16`), and the VGG builder that VGG19 shares.

Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition" (2014):
five blocks of 3x3 convolutions, each closed by 2x2 max pooling, then two 4096-unit layers.
"""

from __future__ import annotations

from typing import Any

from torchkeras import config, layers
from torchkeras.applications import imagenet_utils
from torchkeras.applications.builder import common_arguments, finish, image_input, pool
from torchkeras.applications.pretrained import check_weights_argument

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]

_WEIGHTS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
WEIGHTS_HASHES = {
    "vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"),
}
_WIDTHS = (64, 128, 256, 512, 512)


def vgg(
    convs_per_block: tuple[int, ...],
    weights_name: str,
    include_top: bool,
    weights: str | None,
    input_tensor: Any,
    input_shape: tuple | None,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
    name: str,
) -> Any:
    """A VGG network with `convs_per_block[i]` convolutions in block `i + 1`."""
    check_weights_argument(weights, include_top, classes, classifier_activation)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, 224, 32, config.image_data_format(), include_top, weights
    )
    img_input = image_input(input_tensor, input_shape)
    x = img_input
    for block, (count, filters) in enumerate(zip(convs_per_block, _WIDTHS), start=1):
        for conv in range(1, count + 1):
            x = layers.Conv2D(
                filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{conv}"
            )(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = pool(x, pooling)
    suffix = "" if include_top else "_notop"
    file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
    imagenet_file = (file_name, f"{_WEIGHTS_BASE}{weights_name}/{file_name}", file_hash)
    return finish(input_tensor, img_input, x, name, weights, imagenet_file)


def VGG16(  # noqa: N802 (Keras's name)
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "vgg16",
) -> Any:
    """VGG16: 2-2-3-3-3 convolutions per block.

    Args:
        include_top: whether to end with the three fully connected layers.
        weights: `None` (random), `"imagenet"` (Keras's published weights) or a weights file path.
        input_tensor: optional symbolic tensor (from `keras.Input()`) to use as the image input.
        input_shape: image shape without the batch axis; only with `include_top=False` may it differ
            from `(224, 224, 3)`; each side at least 32.
        pooling: with `include_top=False`: `None` (4D features), `"avg"` or `"max"`.
        classes: number of classes of the classifier (1000 with ImageNet weights).
        classifier_activation: the classifier's activation; `None` returns logits.
        name: the model's name.

    Returns:
        A functional `Model`. Inputs are expected preprocessed with `vgg16.preprocess_input`.
    """
    return vgg((2, 2, 3, 3, 3), "vgg16", name=name, **common_arguments(locals()))


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Caffe-style preprocessing (RGB→BGR, ImageNet mean subtracted); see `imagenet_utils`."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds: Any, top: int = 5) -> list:
    """The `top` ImageNet classes per sample; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
