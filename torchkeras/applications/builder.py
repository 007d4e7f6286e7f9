"""The steps every application constructor shares: its input, its pooling, its model and weights.

A constructor checks its arguments (`pretrained.check_weights_argument`, `obtain_input_shape`), takes
its input from `image_input`, builds its layers, ends with `pool` or its own classifier, and returns
`finish(...)`, which makes the functional model and loads the requested weights.
"""

from __future__ import annotations

from typing import Any

from torchkeras import config, layers
from torchkeras.applications import pretrained
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.models.functional import Functional

__all__ = ["channel_axis", "common_arguments", "finish", "image_input", "pool"]

_COMMON = (
    "include_top",
    "weights",
    "input_tensor",
    "input_shape",
    "pooling",
    "classes",
    "classifier_activation",
)


def common_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments every constructor passes on unchanged, picked from its `locals()`."""
    return {key: arguments[key] for key in _COMMON}


def channel_axis() -> int:
    """The channel axis of 4D images under the current `image_data_format` (3 or 1)."""
    return 1 if config.image_data_format() == "channels_first" else 3


def image_input(input_tensor: Any, input_shape: tuple) -> KerasTensor:
    """The model's image input: a new `Input(shape=input_shape)`, or the given symbolic tensor."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not isinstance(input_tensor, KerasTensor):
        raise ValueError(
            "`input_tensor` must be a symbolic tensor (the output of `keras.Input()` or of layers "
            f"called on one). Received: input_tensor={input_tensor!r}"
        )
    return input_tensor


def pool(
    x: KerasTensor, pooling: str | None, avg_name: str | None = None, max_name: str | None = None
) -> Any:
    """Global average or max pooling for `pooling="avg"` / `"max"`; the features as they are for None."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def finish(
    input_tensor: Any,
    img_input: KerasTensor,
    outputs: KerasTensor,
    name: str,
    weights: Any,
    imagenet_file: tuple[str, str, str | None] | None = None,
) -> Functional:
    """The functional model from the graph's source inputs to `outputs`, with `weights` loaded.

    `imagenet_file` is `(file_name, origin, file_hash)` of the published weights, used when
    `weights="imagenet"`; any other non-None `weights` is a path to a weights file.
    """
    inputs = _source_inputs(input_tensor) if input_tensor is not None else img_input
    model = Functional(inputs, outputs, name=name)
    if weights == "imagenet" and imagenet_file is not None:
        pretrained.load_imagenet_weights(model, *imagenet_file)
    elif weights is not None and weights != "imagenet":
        pretrained.load_weights(model, weights)
    return model


def _source_inputs(tensor: KerasTensor) -> Any:
    """The `Input()` tensors a symbolic tensor was computed from (one tensor, or a list)."""
    found: list[KerasTensor] = []
    seen: set[int] = set()
    stack = [tensor]
    while stack:
        current = stack.pop()
        history = current._keras_history
        node = history[0] if history is not None else None
        if node is None or not node.input_tensors:
            if id(current) not in seen:
                seen.add(id(current))
                found.append(current)
            continue
        stack.extend(reversed(node.input_tensors))
    return found[0] if len(found) == 1 else found
