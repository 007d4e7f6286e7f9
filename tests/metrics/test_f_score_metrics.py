"""FBetaScore and F1Score: parity with Keras for every average, reference formula, errors."""

import pytest
import torch

from torchkeras import metrics


@pytest.mark.parametrize("threshold", [None, 0.4])
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize(
    "name, kwargs", [("F1Score", {}), ("FBetaScore", {"beta": 2.0}), ("FBetaScore", {"beta": 0.5})]
)
def test_matches_keras(keras, assert_metric_parity, make_batches, name, kwargs, average, threshold):
    batches = make_batches("binary", shape=(10, 4))
    kwargs = {**kwargs, "average": average, "threshold": threshold}
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    assert ours.name == theirs.name
    assert_metric_parity(ours, theirs, batches)


def test_reference_macro_f1():
    y_true = torch.tensor([[1, 0], [0, 1], [1, 0], [0, 1]])
    y_pred = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]])
    metric = metrics.F1Score(average="macro")
    metric.update_state(y_true, y_pred)
    # argmax predictions: class 0 -> tp 1, fp 1, fn 1; class 1 -> tp 1, fp 1, fn 1
    assert metric.result().item() == pytest.approx(0.5, abs=1e-6)
    assert "beta" not in metric.get_config()


def test_errors():
    with pytest.raises(ValueError, match="`average` must be one of"):
        metrics.F1Score(average="samples")
    with pytest.raises(ValueError, match="`beta` must be a Python float"):
        metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="`beta` must be > 0"):
        metrics.FBetaScore(beta=-1.0)
    with pytest.raises(ValueError, match="0 < threshold <= 1"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.F1Score().update_state(torch.zeros(4), torch.zeros(4))
