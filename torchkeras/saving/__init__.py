"""Saving and loading (`keras.saving`): model files, weights files and object configs.

Nothing in a file can run code: classes and functions are looked up only among torchkeras's
registered modeling objects and your own (`custom_objects`, `register_keras_serializable`).
"""

from torchkeras.saving.file_editor import KerasFileEditor
from torchkeras.saving.saving_lib import load_model, load_weights, save_model, save_weights
from torchkeras.saving.serialization import deserialize_keras_object, serialize_keras_object
from torchkeras.utils.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)

__all__ = [
    "CustomObjectScope",
    "KerasFileEditor",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]
