"""Shared helpers of the recurrent-layer tests: inputs, masks, and Keras-vs-torchkeras comparisons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from torchkeras.utils.nest import flatten

BATCH, TIME, FEATURES, UNITS = 3, 6, 4, 5

MASKS = {
    "none": None,
    # every row True...True False...False (one fully masked): the fused kernel runs on packed sequences
    "right_padded": np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]], bool),
    # holes in the middle and left padding: the step loop runs
    "mixed": np.array([[1, 1, 1, 1, 0, 0], [1, 0, 1, 1, 0, 1], [0, 0, 1, 1, 1, 1]], bool),
}


def sequences(seed: int = 0, shape: tuple = (BATCH, TIME, FEATURES)) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def to_numpy(value: Any) -> np.ndarray:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def assert_all_close(ours: Any, theirs: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    ours, theirs = flatten(ours), flatten(theirs)
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=rtol, atol=atol)


def keras_parity(
    make: Callable[[], Any],
    keras_make: Callable[[], Any],
    x: np.ndarray,
    mask: np.ndarray | None = None,
    **call_kwargs: Any,
) -> tuple[Any, Any]:
    """Builds both layers on `x`, copies Keras's weights into ours, calls both the same way and
    checks the outputs match. Returns `(our_layer, keras_layer)`."""
    ours, theirs = make(), keras_make()
    theirs(x)
    ours(torch.as_tensor(x))
    ours.set_weights(theirs.get_weights())
    if mask is not None:
        our_out = ours(torch.as_tensor(x), mask=torch.as_tensor(mask), **call_kwargs)
        their_out = theirs(x, mask=mask, **call_kwargs)
    else:
        our_out, their_out = ours(torch.as_tensor(x), **call_kwargs), theirs(x, **call_kwargs)
    assert_all_close(our_out, their_out)
    return ours, theirs


def without_name(config: dict) -> dict:
    return {k: v for k, v in config.items() if k != "name"}
