"""Pretrained weights for the applications: the `weights` argument, the download, the file format.

Keras publishes its ImageNet weights as Keras-2 style HDF5 files: one group per layer (named in
the root attribute `layer_names`), each listing its arrays in the attribute `weight_names`. Keras
loads them by order: the i-th layer of the file that has weights goes to the i-th layer of the
model that has weights. We do the same, after checking every count and shape, so that nothing is
assigned unless everything fits. Files are fetched with `get_file` into the Keras cache
(`~/.keras/models`), where a copy Keras already downloaded is found and used.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from torchkeras.applications.imagenet_utils import validate_activation
from torchkeras.layers.variable import keras_shape
from torchkeras.saving.h5_io import require_h5py
from torchkeras.utils.file_utils import get_file

__all__ = ["check_weights_argument", "load_weights", "load_imagenet_weights"]


def check_weights_argument(
    weights: Any, include_top: bool, classes: int, classifier_activation: Any = "softmax"
) -> None:
    """Keras's checks of `weights` (None, "imagenet" or an existing file), `classes` and, with a
    classifier on pretrained weights, `classifier_activation` (all before any layer is built)."""
    if not (
        weights in (None, "imagenet") or (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights))
    ):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), 'imagenet' "
            "(pre-training on ImageNet), or the path to the weights file to be loaded.  "
            f"Received: weights={weights}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000.  "
            f"Received classes={classes}"
        )
    if include_top:
        validate_activation(classifier_activation, weights)


def load_imagenet_weights(model: Any, file_name: str, origin: str, file_hash: str | None) -> None:
    """Fetches Keras's published file (or finds it in the Keras cache) and loads it into `model`."""
    path = get_file(file_name, origin, cache_subdir="models", file_hash=file_hash)
    load_weights(model, path)


def load_weights(model: Any, path: str | os.PathLike) -> None:
    """Loads a Keras-2 style `.h5` weights file by layer order, or any other file via `load_weights`."""
    path = os.fspath(path)
    if not path.endswith((".h5", ".hdf5")) or path.endswith(".weights.h5"):
        model.load_weights(path)
        return
    h5py = require_h5py("Loading pretrained `.h5` weights")
    with h5py.File(path, "r") as file:
        group = file
        if "layer_names" not in file.attrs and "model_weights" in file:
            group = file["model_weights"]
        if "layer_names" in group.attrs:
            _load_by_order(model, group, path)
            return
    model.load_weights(path)


def _names(attribute: Any) -> list[str]:
    return [name.decode("utf8") if isinstance(name, bytes) else str(name) for name in attribute]


def _load_by_order(model: Any, group: Any, path: str) -> None:
    layers = [layer for layer in model.layers if layer.weights]
    saved = []
    for name in _names(group.attrs["layer_names"]):
        weight_names = _names(group[name].attrs.get("weight_names", []))
        if weight_names:
            saved.append((name, [np.asarray(group[name][weight]) for weight in weight_names]))
    if len(saved) != len(layers):
        raise ValueError(
            f"Cannot load {path!r}: layer count mismatch. The model has {len(layers)} layers with "
            f"weights, the file {len(saved)}."
        )
    for index, (layer, (name, values)) in enumerate(zip(layers, saved)):
        expected = [keras_shape(weight) for weight in layer.weights]
        received = [tuple(value.shape) for value in values]
        if expected != received:
            raise ValueError(
                f"Cannot load {path!r}: layer #{index} (named {layer.name} in the model, {name} in the "
                f"file) expects weights of shapes {expected}. Received: {received}."
            )
    for layer, (_, values) in zip(layers, saved):
        layer.set_weights(values)
