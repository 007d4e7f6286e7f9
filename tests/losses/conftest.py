"""Inputs and a parity check shared by the loss tests."""

import numpy as np
import pytest
import torch


def _make_inputs(kind, shape=(6, 4), seed=0):
    """Returns `(y_true, y_pred)` float32 NumPy arrays suited to a family of losses."""
    rng = np.random.default_rng(seed)
    c = shape[-1]
    if kind == "binary":
        return rng.integers(0, 2, shape).astype("float32"), rng.uniform(0.01, 0.99, shape).astype("float32")
    if kind == "logits":
        return rng.integers(0, 2, shape).astype("float32"), rng.normal(0, 2, shape).astype("float32")
    if kind in ("categorical", "categorical_logits"):
        labels = rng.integers(0, c, shape[:-1])
        y_true = np.eye(c, dtype="float32")[labels]
        scores = rng.uniform(0.05, 1.0, shape) if kind == "categorical" else rng.normal(0, 2, shape)
        if kind == "categorical":
            scores = scores / scores.sum(-1, keepdims=True)
        return y_true, scores.astype("float32")
    if kind in ("sparse", "sparse_logits"):
        y_true, y_pred = _make_inputs(
            "categorical" if kind == "sparse" else "categorical_logits", shape, seed
        )
        return y_true.argmax(-1).astype("float32"), y_pred
    if kind == "distribution":
        y_true = rng.uniform(0, 1, shape)
        return (y_true / y_true.sum(-1, keepdims=True)).astype("float32"), _make_inputs(
            "categorical", shape, seed
        )[1]
    if kind == "positive":
        return rng.uniform(0, 3, shape).astype("float32"), rng.uniform(0.1, 3, shape).astype("float32")
    if kind == "signed":
        return rng.choice([-1.0, 1.0], shape).astype("float32"), rng.normal(0, 1, shape).astype("float32")
    if kind == "regression":
        return rng.normal(0, 2, shape).astype("float32"), rng.normal(0, 2, shape).astype("float32")
    raise ValueError(kind)


@pytest.fixture
def make_inputs():
    """`make_inputs(kind, shape=(6, 4), seed=0)` -> `(y_true, y_pred)` for a family of losses."""
    return _make_inputs


def _call(loss, y_true, y_pred, sample_weight, mask):
    y_pred = torch.tensor(y_pred)
    if mask is not None:
        y_pred._keras_mask = torch.tensor(mask)
    weights = None if sample_weight is None else torch.tensor(sample_weight)
    return loss(torch.tensor(y_true), y_pred, sample_weight=weights)


@pytest.fixture
def assert_loss_parity(keras):
    """`assert_loss_parity(ours, theirs, y_true, y_pred, sample_weight=None, mask=None)`:
    same value as the Keras loss object on the same inputs, and the same config."""

    def check(ours, theirs, y_true, y_pred, sample_weight=None, mask=None, rtol=1e-5, atol=1e-6):
        expected = keras.ops.convert_to_numpy(_call(theirs, y_true, y_pred, sample_weight, mask))
        result = _call(ours, y_true, y_pred, sample_weight, mask)
        assert isinstance(result, torch.Tensor)
        np.testing.assert_allclose(result.numpy(), expected, rtol=rtol, atol=atol)
        assert ours.get_config() == theirs.get_config()
        return result

    return check
