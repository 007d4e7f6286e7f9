"""Hinge metrics: parity with Keras."""

import pytest

from torchkeras import metrics


@pytest.mark.parametrize(
    "name, kind",
    [
        ("Hinge", "binary"),
        ("Hinge", "logits"),
        ("SquaredHinge", "binary"),
        ("CategoricalHinge", "categorical"),
    ],
)
def test_matches_keras(keras, assert_metric_parity, make_batches, name, kind):
    batches = make_batches(kind, shape=(8, 4))
    ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
    assert ours.name == theirs.name
    assert_metric_parity(ours, theirs, batches)
