"""Activation layers (the `Activation` layer itself lives in `layers/core/activation.py`)."""

from torchkeras.layers.activations.elu import ELU
from torchkeras.layers.activations.leaky_relu import LeakyReLU
from torchkeras.layers.activations.prelu import PReLU
from torchkeras.layers.activations.relu import ReLU
from torchkeras.layers.activations.softmax import Softmax

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]
