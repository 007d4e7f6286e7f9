"""Regression metrics: parity with Keras (weights, masks, resets), R2 options, references."""

import numpy as np
import pytest
import torch

from torchkeras import metrics

CASES = [
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("RootMeanSquaredError", {}, "regression"),
    ("CosineSimilarity", {}, "regression"),
    ("CosineSimilarity", {"axis": 0}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("R2Score", {}, "regression"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression"),
    ("R2Score", {"class_aggregation": None}, "regression"),
    ("R2Score", {"num_regressors": 2}, "regression"),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name, kwargs, kind", CASES, ids=str)
def test_matches_keras(keras, assert_metric_parity, make_batches, name, kwargs, kind, weighted):
    batches = make_batches(kind, shape=(8, 8), weighted=weighted)  # square, so `axis=0` fits the weights
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    assert ours.name == theirs.name
    assert_metric_parity(ours, theirs, batches)


def test_masked_mse_matches_keras(keras, assert_metric_parity, make_batches):
    batches = make_batches("regression", shape=(4, 5, 3), weighted=False)
    masks = [np.random.default_rng(i).uniform(size=(4, 5)) > 0.3 for i in range(3)]
    assert_metric_parity(metrics.MeanSquaredError(), keras.metrics.MeanSquaredError(), batches, masks)


def test_rmse_and_r2_reference():
    y_true, y_pred = torch.tensor([[1.0], [2.0], [3.0], [4.0]]), torch.tensor([[1.0], [2.0], [3.0], [6.0]])
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state(y_true, y_pred)
    assert rmse.result().item() == pytest.approx(1.0)
    r2 = metrics.R2Score()
    r2.update_state(y_true, y_pred)
    assert r2.result().item() == pytest.approx(1 - 4 / 5)


def test_r2_adjusted_falls_back_with_warning():
    metric = metrics.R2Score(num_regressors=5)
    metric.update_state(torch.tensor([[1.0], [2.0], [4.0]]), torch.tensor([[1.0], [2.5], [3.0]]))
    with pytest.warns(UserWarning, match="More independent predictors"):
        metric.result()


def test_r2_errors():
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match="num_regressors"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.R2Score().update_state(torch.zeros(2, 2, 2), torch.zeros(2, 2, 2))
