"""A parity check and inputs shared by the metric tests."""

import numpy as np
import pytest
import torch


def _tensors(batch, mask):
    y_true, y_pred, *rest = batch
    y_pred = torch.tensor(y_pred)
    if mask is not None:
        y_pred._keras_mask = torch.tensor(mask)
    weights = rest[0] if rest else None
    return torch.tensor(y_true), y_pred, None if weights is None else torch.tensor(weights)


@pytest.fixture
def assert_metric_parity(keras):
    """`assert_metric_parity(ours, theirs, batches, masks=None)`: after each batch of
    `(y_true, y_pred[, sample_weight])` the results agree; after `reset_state` and one more
    batch they agree again; configs agree (auto-generated names aside)."""

    def check(ours, theirs, batches, masks=None, rtol=1e-5, atol=1e-6):
        masks = masks or [None] * len(batches)
        for batch, mask in zip(batches, masks):
            for metric in (ours, theirs):
                y_true, y_pred, weights = _tensors(batch, mask)
                metric.update_state(y_true, y_pred, sample_weight=weights)
            expected = keras.ops.convert_to_numpy(theirs.result())
            result = ours.result()
            assert type(result) is torch.Tensor  # a fresh tensor, not the state itself
            np.testing.assert_allclose(result.numpy(), expected, rtol=rtol, atol=atol)
        ours.reset_state()
        theirs.reset_state()
        y_true, y_pred, weights = _tensors(batches[-1], masks[-1])
        expected = keras.ops.convert_to_numpy(theirs(y_true, y_pred, sample_weight=weights))
        y_true, y_pred, weights = _tensors(batches[-1], masks[-1])
        np.testing.assert_allclose(
            ours(y_true, y_pred, sample_weight=weights).numpy(), expected, rtol=rtol, atol=atol
        )
        ours_config, theirs_config = ours.get_config(), theirs.get_config()
        ours_config.pop("name"), theirs_config.pop("name")
        for key, value in theirs_config.items():  # Keras keeps e.g. AUC's label_weights as a tensor
            if isinstance(value, torch.Tensor):
                theirs_config[key] = pytest.approx(value.tolist())
        assert ours_config == theirs_config
        assert len(ours.variables) == len(theirs.variables)

    return check


def _batches(kind, shape, count, weighted, seed):
    rng = np.random.default_rng(seed)
    n, c = shape[0], shape[-1]
    batches = []
    for _ in range(count):
        if kind == "binary":
            y_true, y_pred = rng.integers(0, 2, shape), rng.uniform(0, 1, shape)
        elif kind == "logits":
            y_true, y_pred = rng.integers(0, 2, shape), rng.normal(0, 2, shape)
        elif kind in ("categorical", "sparse", "categorical_logits", "sparse_logits"):
            labels = rng.integers(0, c, shape[:-1])
            y_true = np.eye(c)[labels] if kind.startswith("categorical") else labels
            y_pred = rng.uniform(0.05, 1, shape)
            y_pred = (
                rng.normal(0, 2, shape) if kind.endswith("logits") else y_pred / y_pred.sum(-1, keepdims=True)
            )
        elif kind == "positive":
            y_true, y_pred = rng.uniform(0, 3, shape), rng.uniform(0.1, 3, shape)
        elif kind == "regression":
            y_true, y_pred = rng.normal(0, 2, shape), rng.normal(0, 2, shape)
        else:
            raise ValueError(kind)
        batch = [y_true.astype("float32"), y_pred.astype("float32")]
        if weighted:
            batch.append(rng.uniform(0.1, 2, (n,)).astype("float32"))
        batches.append(tuple(batch))
    return batches


@pytest.fixture
def make_batches():
    """`make_batches(kind, shape=(8, 4), count=3, weighted=True, seed=0)` -> list of batches."""

    def make(kind, shape=(8, 4), count=3, weighted=True, seed=0):
        return _batches(kind, shape, count, weighted, seed)

    return make
