"""IoU metrics: parity with Keras (ignore_class, one-hot inputs, int weights), reference value."""

import numpy as np
import pytest
import torch

from torchkeras import metrics


def _class_batches(num_classes, one_hot_true=False, scores=False, weighted=False, count=2, shape=(6, 5)):
    rng = np.random.default_rng(0)
    batches = []
    for _ in range(count):
        y_true = rng.integers(0, num_classes, shape)
        y_pred = rng.uniform(size=(*shape, num_classes)) if scores else rng.integers(0, num_classes, shape)
        y_true = np.eye(num_classes)[y_true] if one_hot_true else y_true
        batch = [y_true.astype("float32"), y_pred.astype("float32")]
        if weighted:
            batch.append(rng.integers(0, 3, shape).astype("int32"))
        batches.append(tuple(batch))
    return batches


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "name, kwargs, one_hot_true, scores",
    [
        ("MeanIoU", {"num_classes": 3}, False, False),
        ("MeanIoU", {"num_classes": 3, "ignore_class": 0}, False, False),
        ("MeanIoU", {"num_classes": 3, "sparse_y_pred": False}, False, True),
        ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, False, False),
        ("OneHotIoU", {"num_classes": 3, "target_class_ids": [1]}, True, True),
        ("OneHotMeanIoU", {"num_classes": 3}, True, True),
    ],
)
def test_matches_keras(keras, assert_metric_parity, name, kwargs, one_hot_true, scores, weighted):
    batches = _class_batches(kwargs["num_classes"], one_hot_true, scores, weighted)
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    assert_metric_parity(ours, theirs, batches)
    assert ours.total_cm.dtype == torch.int32


@pytest.mark.parametrize("kwargs", [{}, {"target_class_ids": [1], "threshold": 0.3}])
def test_binary_iou_matches_keras(keras, assert_metric_parity, make_batches, kwargs):
    batches = make_batches("binary", shape=(8, 3), weighted=False)
    assert_metric_parity(metrics.BinaryIoU(**kwargs), keras.metrics.BinaryIoU(**kwargs), batches)


def test_reference_and_out_of_range_labels_are_skipped():
    metric = metrics.MeanIoU(num_classes=2)
    metric.update_state(torch.tensor([0, 0, 1, 1, 5, -1]), torch.tensor([0, 1, 0, 1, 1, 0]))
    assert metric.result().item() == pytest.approx((1 / 3 + 1 / 3) / 2, abs=1e-6)
    assert metric.name.startswith("mean_io_u")


def test_errors():
    with pytest.raises(ValueError, match="out of range"):
        metrics.IoU(num_classes=2, target_class_ids=[2])
