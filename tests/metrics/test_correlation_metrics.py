"""Pearson and concordance correlation: parity with Keras, reference value."""

import numpy as np
import pytest
import torch

from torchkeras import metrics


@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("name", ["PearsonCorrelation", "ConcordanceCorrelation"])
def test_matches_keras(keras, assert_metric_parity, make_batches, name, axis):
    batches = make_batches("regression", shape=(8, 8))
    ours, theirs = getattr(metrics, name)(axis=axis), getattr(keras.metrics, name)(axis=axis)
    assert ours.name == theirs.name
    assert_metric_parity(ours, theirs, batches)


def test_pearson_reference():
    y_true = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    y_pred = torch.tensor([[2.0, 4.0, 5.0, 9.0]])
    expected = np.corrcoef(y_true.numpy()[0], y_pred.numpy()[0])[0, 1]
    assert metrics.pearson_correlation(y_true, y_pred).item() == pytest.approx(expected, rel=1e-5)
