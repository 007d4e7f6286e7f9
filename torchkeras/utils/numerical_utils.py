"""Label and array helpers: one-hot class matrices and norm scaling (`keras.utils.to_categorical`, ...)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchkeras import ops

__all__ = ["normalize", "to_categorical"]


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray | torch.Tensor:
    """Converts integer class labels to a one-hot class matrix, the class axis last.

    A trailing axis of size 1 is dropped first, so labels shaped `(n, 1)` give `(n, num_classes)`.

    Args:
        x: integer labels in `[0, num_classes)`: array-like (gives a float64 NumPy array) or a tensor
            (gives an int64 tensor, as Keras does on torch).
        num_classes: number of classes; `None` infers `max(x) + 1`.

    Returns:
        The one-hot matrix, of shape `x.shape + (num_classes,)` (after the squeeze above).

    Raises:
        ValueError: if a label is negative or not below `num_classes`.

    Example:
    >>> to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    """
    if isinstance(x, torch.Tensor):
        if x.ndim > 1 and x.shape[-1] == 1:
            x = torch.squeeze(x, -1)
        low, high = (int(x.min()), int(x.max())) if x.numel() else (0, -1)
        num_classes = _check_labels(low, high, num_classes)
        return ops.one_hot(x, num_classes, dtype="int64")  # Keras gives int64 for tensors
    labels = np.asarray(x, dtype="int64")
    shape = labels.shape[:-1] if labels.ndim > 1 and labels.shape[-1] == 1 else labels.shape
    labels = labels.reshape(-1)
    low, high = (int(labels.min()), int(labels.max())) if labels.size else (0, -1)
    num_classes = _check_labels(low, high, num_classes)
    categorical = np.zeros((labels.size, num_classes))
    categorical[np.arange(labels.size), labels] = 1
    return categorical.reshape(shape + (num_classes,))


def _check_labels(low: int, high: int, num_classes: int | None) -> int:
    if low < 0:
        raise ValueError(f"`x` must hold class labels >= 0. Received: a label {low}")
    if not num_classes:
        return high + 1
    if high >= num_classes:
        raise ValueError(
            f"`x` must hold class labels below `num_classes`. "
            f"Received: a label {high} with num_classes={num_classes}"
        )
    return num_classes


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray | torch.Tensor:
    """Scales `x` to unit norm along `axis`.

    A NumPy array gives a NumPy array (all-zero slices stay zero); anything else goes through
    `ops.normalize` and gives a tensor.

    Args:
        x: the array to normalize.
        axis: the axis along which to normalize.
        order: the norm order (e.g. 2 for the L2 norm).
    """
    if not isinstance(x, np.ndarray):
        return ops.normalize(x, axis=axis, order=order)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, -1 if axis is None else axis)
