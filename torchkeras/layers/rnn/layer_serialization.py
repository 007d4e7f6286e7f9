"""Configs of layers held by other layers (an RNN's cell, a wrapper's layer), in Keras's schema."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import get_registered_name, get_registered_object

__all__ = ["deserialize_layer", "serialize_layer"]


def serialize_layer(layer: Layer) -> dict[str, Any]:
    """`{"module", "class_name", "config", "registered_name"}` (+ `"build_config"` once built)."""
    cls = type(layer)
    builtin = get_registered_object(cls.__name__, include_builtins=True) is cls and cls.__module__.startswith(
        "torchkeras."
    )
    config = {
        "module": "keras.layers" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": layer.get_config(),
        "registered_name": None if builtin else get_registered_name(cls),
    }
    build_config = layer.get_build_config() if layer.built else None
    if build_config:
        config["build_config"] = build_config
    return config


def deserialize_layer(config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Layer:
    """Rebuilds a layer from `serialize_layer`'s output, resolving its class through the registry
    (`custom_objects`, registered user classes, built-ins); builds it from `"build_config"`."""
    if isinstance(config, Layer):
        return config
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise ValueError(f"A layer config must be a dict with a 'class_name'. Received: {config!r}")
    cls = None
    for name in (config.get("registered_name"), config["class_name"]):
        if name:
            cls = get_registered_object(name, custom_objects)
            if cls is not None:
                break
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ValueError(
            f"Unknown layer: {config['class_name']!r}. Register it with "
            "`keras.saving.register_keras_serializable()` or pass it in `custom_objects`."
        )
    inner = dict(config.get("config") or {})
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        layer = cls.from_config(inner, custom_objects=custom_objects)
    else:
        layer = cls.from_config(inner)
    if config.get("build_config"):
        layer.build_from_config(config["build_config"])
    return layer
