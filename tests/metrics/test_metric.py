"""The `Metric` base class and `MetricVariable`: Keras-style subclassing, state, devices."""

import copy
import pickle

import numpy as np
import pytest
import torch

from torchkeras import metrics
from torchkeras.metrics import Metric, MetricVariable


class BinaryTruePositives(Metric):
    """The subclass from Keras's guide, written with torch ops."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = (torch.as_tensor(y_true).bool() & torch.as_tensor(y_pred).bool()).to(torch.float32)
        if sample_weight is not None:
            values = values * torch.as_tensor(sample_weight)
        self.true_positives.assign_add(values.sum())

    def result(self):
        return self.true_positives.value.clone()


def test_keras_style_subclass():
    metric = BinaryTruePositives()
    assert metric(np.array([1, 1, 0]), np.array([1, 0, 1])).item() == 1.0
    metric.update_state(torch.tensor([1, 1]), torch.tensor([1, 1]), sample_weight=torch.tensor([0.5, 2.0]))
    assert metric.result().item() == 3.5
    assert [v.name for v in metric.variables] == ["true_positives"]
    assert metric.variables[0].path == "binary_true_positives/true_positives"
    metric.reset_state()
    assert metric.result().item() == 0.0
    assert metric.get_config() == {"name": "binary_true_positives", "dtype": "float32"}
    assert isinstance(BinaryTruePositives.from_config(metric.get_config()), BinaryTruePositives)


def test_variable_api():
    variable = MetricVariable(torch.zeros(3), name="total")
    variable.assign([1.0, 2.0, 3.0])
    variable.assign_add(torch.ones(3))
    variable.assign_sub(0.5)
    np.testing.assert_allclose(variable.numpy(), [1.5, 2.5, 3.5])
    assert isinstance(variable.numpy(), np.ndarray) and variable.trainable is False
    total = variable + 1
    assert type(total) is torch.Tensor and type(torch.sqrt(variable)) is torch.Tensor
    view = variable.value
    variable.assign(0.0)
    assert type(view) is torch.Tensor and view.sum().item() == 0.0  # shares storage
    assert not variable.requires_grad and variable.aggregation == "sum"
    assert "MetricVariable path=total" in repr(variable)


def test_variable_copy_and_pickle_keep_type_and_name():
    variable = MetricVariable(torch.arange(3.0), name="count", aggregation="mean", path="m/count")
    for clone in (copy.deepcopy(variable), pickle.loads(pickle.dumps(variable))):
        assert type(clone) is MetricVariable and (clone.name, clone.path, clone.aggregation) == (
            "count",
            "m/count",
            "mean",
        )
        assert clone.data_ptr() != variable.data_ptr()
        np.testing.assert_array_equal(clone.numpy(), [0.0, 1.0, 2.0])


def test_deepcopied_metric_has_independent_state():
    metric = metrics.Mean()
    metric.update_state([1.0, 2.0])
    clone = copy.deepcopy(metric)
    clone.update_state([10.0])
    assert metric.result().item() == 1.5 and clone.result().item() == pytest.approx(13 / 3)


def test_add_variable_initializers_and_dtypes():
    class Custom(Metric):
        def __init__(self):
            super().__init__(name="custom")
            self.ones = self.add_variable((2,), "ones", dtype="int32", name="ones")
            self.fives = self.add_variable(
                (2, 2), lambda shape, dtype=None: np.full(shape, 5.0), name="fives"
            )
            self.legacy = self.add_weight(name="legacy")

    metric = Custom()
    assert metric.ones.dtype == torch.int32 and metric.ones.tolist() == [1, 1]
    assert metric.fives.dtype == torch.float32 and metric.fives.sum().item() == 20.0
    assert metric.legacy.shape == () and len(metric.variables) == 3
    metric.reset_state()
    assert all(v.sum().item() == 0 for v in metric.variables)


def test_sub_metrics_are_tracked_and_moved():
    class Pair(Metric):
        def __init__(self):
            super().__init__(name="pair")
            self.mean = metrics.Mean()
            self.total = metrics.Sum()

        def update_state(self, values):
            self.mean.update_state(values)
            self.total.update_state(values)

        def result(self):
            return self.total.result() / self.mean.result()

    metric = Pair()
    assert len(metric.variables) == 3
    metric.update_state(torch.tensor([1.0, 3.0]))
    assert metric.result().item() == 2.0
    metric.reset_state()
    assert metric.total.result().item() == 0.0


def test_to_moves_state_in_place_and_keeps_references():
    metric = metrics.AUC(num_thresholds=5)
    held = metric.true_positives
    assert metric.to("cpu") is metric and metric.device == torch.device("cpu")
    assert metric.true_positives is held and metric.variables[0] is held
    if torch.cuda.is_available():
        metric.to("cuda")
        assert held.device.type == "cuda" and metric.true_positives is held


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_state_follows_the_data_and_update_state_never_syncs():
    batches = [
        (torch.randint(0, 2, (64, 3), device="cuda"), torch.rand(64, 3, device="cuda")) for _ in range(2)
    ]
    built = [
        metrics.Mean(), metrics.BinaryAccuracy(), metrics.AUC(), metrics.AUC(multi_label=True, curve="PR"),
        metrics.Precision(thresholds=[0.2, 0.7]), metrics.Recall(top_k=2), metrics.F1Score(average="macro"),
        metrics.MeanIoU(num_classes=3, sparse_y_true=False, sparse_y_pred=False), metrics.R2Score(),
        metrics.BinaryCrossentropy(), metrics.IoU(num_classes=3, target_class_ids=[1], sparse_y_true=False,
                                                  sparse_y_pred=False),
    ]  # fmt: skip
    for metric in built:  # first call: state moves to the GPU (allowed to sync once)
        args = batches[0] if type(metric) is not metrics.Mean else (batches[0][1],)
        metric.update_state(*args)
    torch.cuda.set_sync_debug_mode("error")
    try:
        for metric in built:
            args = batches[1] if type(metric) is not metrics.Mean else (batches[1][1],)
            metric.update_state(*args)
            metric.result()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert all(v.device.type == "cuda" for m in built for v in m.variables)


def test_the_built_in_means_move_their_state_where_they_add_to_it():
    # `Mean` and `MeanMetricWrapper` follow the data themselves, so `update_state` runs unwrapped;
    # a subclass's own `update_state` is still wrapped to move the state first.
    assert not hasattr(metrics.Mean.update_state, "__wrapped__")
    assert not hasattr(metrics.MeanMetricWrapper.update_state, "__wrapped__")

    class Doubled(metrics.Mean):
        def update_state(self, values, sample_weight=None):
            super().update_state(values * 2, sample_weight)

    assert hasattr(Doubled.update_state, "__wrapped__")
    cases = [
        (metrics.Mean(), (torch.tensor([1.0, 2.0]),), 1.5),
        (Doubled(), (torch.tensor([1.0, 2.0]),), 3.0),
        (metrics.MeanSquaredError(), (torch.ones(2, 3), torch.zeros(2, 3)), 1.0),
        (metrics.SparseCategoricalAccuracy(), (torch.tensor([0, 0]), torch.eye(2)), 0.5),
    ]
    for metric, args, expected in cases:
        assert metric.device is None
        metric.update_state(*args)  # moved at once: a compiled step cannot move it
        assert metric.device == torch.device("cpu")
        assert metric.result().item() == expected


def test_assign_records_no_graph_even_on_a_variable_that_requires_grad():
    variable = metrics.Mean().total
    with torch.enable_grad():
        variable.assign(torch.ones((), requires_grad=True) * 2)
        variable.assign_add(3)
        variable.assign_sub(1.5)
    assert variable.item() == 3.5 and not variable.requires_grad and variable.grad_fn is None
    variable.requires_grad_(True)  # an in-place update outside `no_grad` would raise
    variable.assign(1.0)
    variable.assign_add(2)
    variable.assign_sub(0.5)
    assert variable.item() == 2.5 and variable.grad_fn is None


def test_errors():
    class Forgetful(Metric):
        def __init__(self):
            self.total = self.add_variable((), "zeros")

    with pytest.raises(RuntimeError, match="super"):
        Forgetful()
    with pytest.raises(NotImplementedError, match="update_state"):
        Metric().update_state(1)
    with pytest.raises(NotImplementedError, match="result"):
        Metric().result()
