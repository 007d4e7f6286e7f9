"""`Pipeline`: preprocessing layers applied one after the other, as one layer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn.layer_serialization import deserialize_layer, serialize_layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["Pipeline"]


@register_builtin
class Pipeline(Layer):
    """Applies a list of layers in order, like a `Sequential` that is a plain layer (no model
    methods): meant for preprocessing and augmentation stacks used inside a model or on data.

    `training` is passed to each layer that takes it, and each output's mask to the next layer
    that takes one.

    Args:
        layers: the layers, in order.
        name: optional name.

    Example:
    ```python
    augment = keras.layers.Pipeline([
        keras.layers.RandomFlip(),
        keras.layers.RandomRotation(0.1),
    ])
    images = augment(images, training=True)
    ```
    """

    def __init__(self, layers: list, name: str | None = None, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, Layer) for layer in layers):
            raise invalid("layers", "must be a list of layers", layers, f"Pipeline '{self.name}'")
        self._pipeline_layers = list(layers)
        self.built = True

    @property
    def layers(self) -> list[Layer]:
        """The pipeline's layers, in order."""
        return list(self._pipeline_layers)

    def call(self, inputs: Any, training: bool = False, mask: Any = None) -> Any:
        outputs = inputs
        for layer in self._pipeline_layers:
            takes_training, takes_mask, _ = type(layer)._call_spec
            kwargs: dict[str, Any] = {}
            if takes_mask and mask is not None:
                kwargs["mask"] = mask
            if takes_training:
                kwargs["training"] = training
            outputs = layer(outputs, **kwargs)
            mask = getattr(outputs, "_keras_mask", None)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self) -> dict:
        return {"layers": [serialize_layer(layer) for layer in self._pipeline_layers], "name": self.name}

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> Pipeline:
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "`Pipeline` config must hold `layers`: a list of serialized layers. "
                f"Received: layers={layers!r}"
            )
        config = {**config, "layers": [deserialize_layer(layer, custom_objects) for layer in layers]}
        return cls(**config)
