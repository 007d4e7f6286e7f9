"""Data and conversion helpers shared by the optimizer tests (imported by name, not a test file)."""

import numpy as np
import torch

SHAPES = [(3, 4), (4,), (2, 3, 2)]


def make_data(steps, seed=0, scale=1.0):
    """Initial variables and `steps` lists of gradients, as float32 NumPy arrays."""
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(shape).astype("float32") for shape in SHAPES]
    grads = [[(scale * rng.standard_normal(s)).astype("float32") for s in SHAPES] for _ in range(steps)]
    return init, grads


def to_numpy(keras, value):
    """A Keras (torch backend) variable or tensor as a float64 NumPy array."""
    value = getattr(value, "value", value)
    return torch.as_tensor(value).detach().cpu().double().numpy()
