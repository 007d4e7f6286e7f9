"""Utilities (`keras.utils`): data helpers, seeding, and the serialization registry."""

from torchkeras.config import set_random_seed
from torchkeras.utils.file_utils import get_file
from torchkeras.utils.history_plot import plot_history
from torchkeras.utils.numerical_utils import normalize, to_categorical
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

__all__ = [
    "CustomObjectScope",
    "PyDataset",
    "Sequence",
    "custom_object_scope",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "normalize",
    "pad_sequences",
    "plot_history",
    "register_keras_serializable",
    "set_random_seed",
    "to_categorical",
]
