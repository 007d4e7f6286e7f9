"""`Wrapper`: the base of layers that hold one other layer and change how it runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn.layer_serialization import deserialize_layer, serialize_layer
from torchkeras.utils.registry import register_builtin

__all__ = ["Wrapper"]


@register_builtin
class Wrapper(Layer):
    """Holds `layer` and builds it with itself; subclasses define `call` (this base class is
    abstract, as in Keras). Its config holds the wrapped layer's config.

    Args:
        layer: the layer to wrap.
    """

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise ValueError(
                "`layer` must be a Keras layer to be wrapped. "
                f"Received: layer={layer!r} ({type(layer).__name__})"
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any = None) -> None:
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: Mapping[str, Any] | None = None) -> Wrapper:
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **config)
