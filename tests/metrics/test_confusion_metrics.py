"""TP/FP/TN/FN, Precision, Recall, the "X at Y" metrics and AUC: parity with Keras."""

import numpy as np
import pytest
import torch

from torchkeras import metrics


def _coarse(batches):
    """Predictions rounded to tenths (exact 0, 0.5 and 1 included): they sit on thresholds."""
    return [(y_true, np.round(y_pred, 1), *rest) for y_true, y_pred, *rest in batches]


COUNTS = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"]
THRESHOLDS = [None, 0.3, [0.3, 0.65], [0.0, 0.5, 1.0], [0.0, 0.25, 0.5, 0.75, 1.0]]


@pytest.mark.parametrize("thresholds", THRESHOLDS, ids=str)
@pytest.mark.parametrize("name", COUNTS)
def test_counts_match_keras(keras, assert_metric_parity, make_batches, name, thresholds):
    batches = _coarse(make_batches("binary", shape=(8, 3)))
    ours = getattr(metrics, name)(thresholds=thresholds)
    assert_metric_parity(ours, getattr(keras.metrics, name)(thresholds=thresholds), batches)


PRECISION_RECALL = [
    {},
    {"thresholds": [0.2, 0.5, 0.8]},
    {"thresholds": [0.0, 0.5, 1.0]},
    {"top_k": 2},
    {"class_id": 1},
    {"top_k": 2, "class_id": 3},
    {"thresholds": 0.4, "class_id": 0},
]


@pytest.mark.parametrize("kwargs", PRECISION_RECALL, ids=str)
@pytest.mark.parametrize("name", ["Precision", "Recall"])
def test_precision_recall_match_keras(keras, assert_metric_parity, make_batches, name, kwargs):
    batches = _coarse(make_batches("binary", shape=(8, 5)))
    assert_metric_parity(getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs), batches)


@pytest.mark.parametrize("num_thresholds", [1, 7, 200])
@pytest.mark.parametrize(
    "name, value",
    [("SensitivityAtSpecificity", 0.6), ("SpecificityAtSensitivity", 0.7), ("PrecisionAtRecall", 0.5),
     ("RecallAtPrecision", 0.6)],
)  # fmt: skip
def test_at_metrics_match_keras(keras, assert_metric_parity, make_batches, name, value, num_thresholds):
    batches = make_batches("binary", shape=(16, 1))
    kwargs = {"num_thresholds": num_thresholds}
    ours = getattr(metrics, name)(value, **kwargs)
    assert_metric_parity(ours, getattr(keras.metrics, name)(value, **kwargs), batches)


AUC_CASES = [
    {},
    {"curve": "PR"},
    {"curve": "PRGAIN"},
    {"summation_method": "majoring"},
    {"curve": "PR", "summation_method": "minoring"},
    {"num_thresholds": 3},
    {"thresholds": [0.2, 0.5, 0.9]},
    {"thresholds": [0.25, 0.5, 0.75]},
    {"from_logits": True},
    {"label_weights": [0.2, 1.0, 3.0]},
    {"multi_label": True},
    {"multi_label": True, "num_labels": 3, "curve": "PR"},
    {"multi_label": True, "label_weights": [0.2, 1.0, 3.0], "summation_method": "minoring"},
]


@pytest.mark.parametrize("coarse", [False, True])
@pytest.mark.parametrize("kwargs", AUC_CASES, ids=str)
def test_auc_matches_keras(keras, assert_metric_parity, make_batches, kwargs, coarse):
    batches = make_batches("logits" if kwargs.get("from_logits") else "binary", shape=(16, 3))
    batches = _coarse(batches) if coarse else batches
    assert_metric_parity(metrics.AUC(**kwargs), keras.metrics.AUC(**kwargs), batches, rtol=1e-5, atol=1e-5)


def test_auc_reference_value():
    metric = metrics.AUC(num_thresholds=1001)
    metric.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0.1, 0.4, 0.35, 0.8]))
    assert metric.result().item() == pytest.approx(0.75, abs=1e-3)  # 3 of 4 positive/negative pairs ordered


def test_precision_reference_and_single_threshold_scalar():
    metric = metrics.Precision()
    metric.update_state(torch.tensor([0, 1, 1, 1]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
    assert metric.result().shape == () and metric.result().item() == pytest.approx(2 / 3)
    assert metrics.Recall(thresholds=[0.1, 0.9]).result().shape == (2,)


def test_default_names_and_configs_match_keras(keras):
    from torchkeras.utils.naming import clear_session

    clear_session()
    keras.utils.clear_session()
    pairs = [
        (metrics.Precision(), keras.metrics.Precision()),
        (metrics.Precision(), keras.metrics.Precision()),
    ]
    pairs += [(metrics.AUC(), keras.metrics.AUC()), (metrics.TruePositives(), keras.metrics.TruePositives())]
    for ours, theirs in pairs:
        assert ours.get_config() == theirs.get_config()


def test_errors():
    with pytest.raises(ValueError, match=r"must all be in \[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="RCO")
    with pytest.raises(ValueError, match="num_labels"):
        metrics.AUC(num_labels=3)
    with pytest.raises(ValueError, match="rank 2"):
        metrics.AUC(multi_label=True).update_state(torch.zeros(2, 2, 2), torch.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="specificity"):
        metrics.SensitivityAtSpecificity(1.5)
    with pytest.raises(ValueError, match="class_id"):
        metrics.Precision(class_id=1).update_state(torch.zeros(4), torch.zeros(4))
