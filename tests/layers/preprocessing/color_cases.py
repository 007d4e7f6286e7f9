"""Shared data of the color layer tests: RGB images in [0, 255], both data formats."""

import numpy as np

IMAGES = np.random.default_rng(0).uniform(0, 255, (3, 5, 6, 3)).astype("float32")


def images(data_format):
    """A fresh copy (some Keras transforms write into the tensor they are given)."""
    return IMAGES.copy() if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()


def config_without_name(layer):
    return {k: v for k, v in layer.get_config().items() if k != "name"}
