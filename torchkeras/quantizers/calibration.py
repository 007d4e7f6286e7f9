"""The calibration samples GPTQ and AWQ run through a model: fixed-length token windows."""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

__all__ = ["get_dataloader"]


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x).reshape(-1)


def get_dataloader(
    tokenizer: Any,
    sequence_length: int,
    dataset: Any,
    num_samples: int = 128,
    *,
    strategy: str = "strided",
    seed: int = 42,
    stride: int | None = None,
    eos_id: int | None = None,
) -> np.ndarray:
    """`num_samples` windows of `sequence_length` tokens cut from `dataset`.

    The dataset's pieces (strings through `tokenizer.tokenize`, or token arrays) are joined into
    one stream (with `eos_id` between documents, when given), repeated until it holds
    `num_samples * sequence_length` tokens, and windows start at:
    `"strided"` regular steps from an offset derived from `seed`, `"linspace"` evenly spaced
    positions, or `"random"` positions drawn with `seed`.

    Args:
        tokenizer: an object with `tokenize(text)`, used when `dataset` yields strings.
        sequence_length: tokens per window.
        dataset: an iterable of strings or of token arrays (a list, a generator, a NumPy array).
        num_samples: how many windows.
        strategy: `"strided"`, `"linspace"` or `"random"`.
        seed: the seed of the `"strided"` offset and of the `"random"` starts.
        stride: the `"strided"` step; by default the stream's length over `num_samples`.
        eos_id: a token put between strings, so that a window does not run across documents
            unnoticed.

    Returns:
        An int32 array `(num_samples, 1, sequence_length)`.

    Raises:
        TypeError: when `dataset` is not an iterable (or is a string).
        ValueError: when it is empty, holds strings but `tokenizer` cannot tokenize, or
            `strategy` is unknown.
    """
    if not hasattr(dataset, "__iter__") or isinstance(dataset, (str, bytes)):
        raise TypeError(
            "The `dataset` argument must be an iterable (e.g., a list of strings, a generator, or a "
            f"NumPy array). Received: type {type(dataset).__name__}"
        )
    documents = list(dataset)
    if not documents:
        raise ValueError("`dataset` is empty: it must yield strings or token arrays.")
    pieces = []
    for i, document in enumerate(documents):
        if isinstance(document, str):
            if not hasattr(tokenizer, "tokenize"):
                raise ValueError(
                    "A dataset of strings needs a `tokenizer` with a `tokenize(text)` method. "
                    f"Received: tokenizer={tokenizer!r}"
                )
            pieces.append(_to_numpy(tokenizer.tokenize(document)))
            if eos_id is not None and i < len(documents) - 1:
                pieces.append(np.array([eos_id]))
        else:
            pieces.append(_to_numpy(document))
    tokens = np.concatenate(pieces).astype(np.int32, copy=False)

    required = num_samples * sequence_length
    if tokens.size < required:
        tokens = np.tile(tokens, math.ceil(required / max(1, tokens.size)))
    max_start = tokens.size - sequence_length
    if max_start < 0:
        raise ValueError(
            f"Not enough tokens to form one sample of length {sequence_length} (have {tokens.size})."
        )

    if strategy == "random":
        starts = np.random.default_rng(seed).integers(0, max_start + 1, size=num_samples, dtype=np.int64)
    elif strategy == "linspace":
        starts = np.linspace(0, max_start, num_samples, dtype=np.int64)
    elif strategy == "strided":
        if stride is None:
            stride = max(1, (max_start + 1) // num_samples)
        # Keras derives the offset from Python's `hash`, which changes from process to process;
        # a CRC of the seed gives the same windows every run.
        offset = zlib.crc32(f"gptq-calib-{seed}".encode()) % (max_start + 1)
        starts = (offset + np.arange(num_samples, dtype=np.int64) * stride) % (max_start + 1)
    else:
        raise ValueError(
            f"`strategy` must be one of 'strided', 'linspace', 'random'. Received: strategy={strategy!r}"
        )
    windows = np.lib.stride_tricks.sliding_window_view(tokens, sequence_length)
    return windows[starts].astype(np.int32)[:, None, :]
