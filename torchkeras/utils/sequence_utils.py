"""Sequence helpers: padding and truncating lists of sequences (`keras.utils.pad_sequences`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from torchkeras.utils.validation import check_choice

__all__ = ["pad_sequences"]


def pad_sequences(
    sequences: Sequence[Any],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pads (and truncates) sequences to one length, as a NumPy array.

    Args:
        sequences: a list of sequences (lists or arrays; the items may themselves be arrays, all of
            one shape).
        maxlen: the output length; defaults to the longest sequence.
        dtype: the output dtype (`object` for variable-length strings).
        padding: `"pre"` or `"post"`: pad before or after each sequence.
        truncating: `"pre"` or `"post"`: drop values from the start or the end of longer sequences.
        value: the padding value.

    Returns:
        An array of shape `(len(sequences), maxlen) + item_shape`.

    Raises:
        ValueError: for unknown `padding`/`truncating`, non-iterable sequences, string `value` with
            a non-string `dtype`, or items of inconsistent shapes.

    Example:
    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
    array([[2, 3],
           [0, 4]], dtype=int32)
    """
    padding = check_choice(padding, ("pre", "post"), "padding")
    truncating = check_choice(truncating, ("pre", "post"), "truncating")
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"`sequences` must be a list of iterables. Received: sequences={sequences!r}")
    lengths, item_shape = [], None
    for sequence in sequences:
        if not hasattr(sequence, "__len__"):
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: {sequence!r}")
        lengths.append(len(sequence))
        if item_shape is None and len(sequence):
            item_shape = np.asarray(sequence).shape[1:]
    item_shape = item_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    string_dtype = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not string_dtype:
        raise ValueError(
            f"`dtype` {dtype} cannot hold the string `value` {value!r}. "
            "Use dtype=object for variable-length strings."
        )

    padded = np.full((len(sequences), maxlen, *item_shape), value, dtype=dtype)
    for index, sequence in enumerate(sequences):
        if not len(sequence) or not maxlen:
            continue
        kept = np.asarray(sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen], dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"Sequence {index} has items of shape {kept.shape[1:]}, expected {item_shape} "
                "(the shape of the first non-empty sequence's items)."
            )
        if padding == "post":
            padded[index, : len(kept)] = kept
        else:
            padded[index, -len(kept) :] = kept
    return padded
