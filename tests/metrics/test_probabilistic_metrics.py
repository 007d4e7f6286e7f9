"""Probabilistic metrics: parity with Keras, including logits, smoothing and ignore_class."""

import numpy as np
import pytest

from torchkeras import metrics

CASES = [
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "logits"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "categorical_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 1}, "sparse_logits"),
    ("KLDivergence", {}, "categorical"),
    ("Poisson", {}, "positive"),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name, kwargs, kind", CASES, ids=str)
def test_matches_keras(keras, assert_metric_parity, make_batches, name, kwargs, kind, weighted):
    batches = make_batches(kind, shape=(8, 4), weighted=weighted)
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    assert ours.name == theirs.name
    assert_metric_parity(ours, theirs, batches)


def test_masked_sparse_crossentropy_matches_keras(keras, assert_metric_parity, make_batches):
    batches = make_batches("sparse_logits", shape=(4, 6, 3), weighted=False)
    masks = [np.random.default_rng(i).uniform(size=(4, 6)) > 0.3 for i in range(3)]
    kwargs = {"from_logits": True, "ignore_class": 2}
    theirs = keras.metrics.SparseCategoricalCrossentropy(**kwargs)
    assert_metric_parity(metrics.SparseCategoricalCrossentropy(**kwargs), theirs, batches, masks)
