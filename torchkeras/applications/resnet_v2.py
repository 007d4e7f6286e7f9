"""ResNet50V2/101V2/152V2 (`keras.applications.resnet_v2`): pre-activation residual networks.

He et al., "Identity Mappings in Deep Residual Networks" (2016). The blocks and the shared stem
live in `resnet`; inputs are scaled to [-1, 1] ("tf" preprocessing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchkeras.applications import imagenet_utils
from torchkeras.applications.builder import common_arguments
from torchkeras.applications.resnet import ResNet, stack_residual_blocks_v2

__all__ = ["ResNet101V2", "ResNet152V2", "ResNet50V2", "decode_predictions", "preprocess_input"]


def _v2_stages(depths: tuple[int, int, int, int]) -> Callable[[Any], Any]:
    def stack_fn(x: Any) -> Any:
        x = stack_residual_blocks_v2(x, 64, depths[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, depths[3], stride1=1, name="conv5")

    return stack_fn


def ResNet50V2(  # noqa: N802 (Keras's name)
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet50v2",
) -> Any:
    """ResNet50V2: 3-4-6-3 pre-activation blocks; arguments as `keras.applications.ResNet50`."""
    return ResNet(
        _v2_stages((3, 4, 6, 3)),
        True,
        True,
        name=name,
        weights_name="resnet50v2",
        **common_arguments(locals()),
    )


def ResNet101V2(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet101v2",
) -> Any:
    """ResNet101V2: 3-4-23-3 pre-activation blocks; arguments as `keras.applications.ResNet50`."""
    return ResNet(
        _v2_stages((3, 4, 23, 3)),
        True,
        True,
        name=name,
        weights_name="resnet101v2",
        **common_arguments(locals()),
    )


def ResNet152V2(  # noqa: N802
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet152v2",
) -> Any:
    """ResNet152V2: 3-8-36-3 pre-activation blocks; arguments as `keras.applications.ResNet50`."""
    return ResNet(
        _v2_stages((3, 8, 36, 3)),
        True,
        True,
        name=name,
        weights_name="resnet152v2",
        **common_arguments(locals()),
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales pixels from [0, 255] to [-1, 1] ("tf" mode of `imagenet_utils.preprocess_input`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list:
    """The `top` ImageNet classes per sample; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
