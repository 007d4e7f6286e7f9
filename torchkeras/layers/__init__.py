"""Layers (`keras.layers`): the `Layer` base, `Input`, and every built-in layer with its aliases."""

from torchkeras.layers.core import Activation, Dense, Embedding, Identity, Lambda
from torchkeras.layers.input_layer import Input, InputLayer
from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization.dropout import Dropout
from torchkeras.layers.reshaping.flatten import Flatten
from torchkeras.layers.reshaping.reshape import Reshape

__all__ = [
    "Activation",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "Input",
    "InputLayer",
    "Lambda",
    "Layer",
    "Reshape",
]
