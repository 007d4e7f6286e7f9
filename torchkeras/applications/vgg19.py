"""VGG19 (`keras.applications.vgg19`): VGG with 2-2-4-4-4 convolutions per block."""

from __future__ import annotations

from typing import Any

from torchkeras.applications.builder import common_arguments
from torchkeras.applications.vgg16 import decode_predictions, preprocess_input, vgg

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]


def VGG19(  # noqa: N802 (Keras's name)
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "vgg19",
) -> Any:
    """VGG19: 2-2-4-4-4 convolutions per block; arguments as `keras.applications.VGG16`."""
    return vgg((2, 2, 4, 4, 4), "vgg19", name=name, **common_arguments(locals()))
