"""Datasets (`keras.datasets`): Keras's loaders, reading Keras's cache, plus the shipped digits.

Each loader reads its file from Keras's cache (`$KERAS_HOME/datasets`, default
`~/.keras/datasets`), so files Keras downloaded are reused, and downloads it (hash-checked) when
the network allows. Files stored as pickles by Keras (CIFAR batches, the object arrays of IMDB and
Reuters) are read by an interpreter that admits only plain data and NumPy arrays.
`digits` is shipped inside the package and needs no download.
"""

from torchkeras.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "digits",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
