"""Utilities (`keras.utils`): data helpers, progress, seeding, and the serialization registry.

Names implemented in higher layers of the package (the functional graph, saving, the trainer's
data handling) are exported lazily, on first access, so that the low-level modules here can be
imported by everything else without import cycles.
"""

import importlib
from typing import Any

from torchkeras.config import set_random_seed
from torchkeras.utils import bounding_boxes
from torchkeras.utils.audio_dataset_utils import audio_dataset_from_directory
from torchkeras.utils.batch_utils import pack_x_y_sample_weight
from torchkeras.utils.config import Config
from torchkeras.utils.dataset_utils import split_dataset
from torchkeras.utils.file_utils import get_file
from torchkeras.utils.history_plot import plot_history
from torchkeras.utils.image_dataset_utils import image_dataset_from_directory
from torchkeras.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from torchkeras.utils.numerical_utils import normalize, to_categorical
from torchkeras.utils.progbar import (
    Progbar,
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from torchkeras.utils.py_dataset import PyDataset, Sequence
from torchkeras.utils.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from torchkeras.utils.sequence_utils import pad_sequences
from torchkeras.utils.text_dataset_utils import text_dataset_from_directory
from torchkeras.utils.timeseries_dataset_utils import timeseries_dataset_from_array

# name -> module defining it, imported on first access (see the module docstring).
_LAZY = {
    "FeatureSpace": "torchkeras.layers.preprocessing.feature_space",
    "clear_session": "torchkeras.backend",
    "deserialize_keras_object": "torchkeras.saving.serialization",
    "get_source_inputs": "torchkeras.layers.function",
    "is_keras_tensor": "torchkeras.layers.keras_tensor",
    "model_to_dot": "torchkeras.models.model_visualization",
    "plot_model": "torchkeras.models.model_visualization",
    "serialize_keras_object": "torchkeras.saving.serialization",
    "standardize_dtype": "torchkeras.backend.dtypes",
    "unpack_x_y_sample_weight": "torchkeras.trainers.data",
}

__all__ = [
    "Config",
    "CustomObjectScope",
    "Progbar",
    "PyDataset",
    "Sequence",
    "array_to_img",
    "audio_dataset_from_directory",
    "bounding_boxes",
    "custom_object_scope",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "image_dataset_from_directory",
    "img_to_array",
    "is_interactive_logging_enabled",
    "load_img",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "plot_history",
    "register_keras_serializable",
    "save_img",
    "set_random_seed",
    "split_dataset",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'torchkeras.utils' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
