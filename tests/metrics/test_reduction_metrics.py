"""Sum, Mean and MeanMetricWrapper: parity with Keras over weights of every rank and masks."""

import numpy as np
import pytest
import torch

from torchkeras import losses, metrics

WEIGHT_SHAPES = [None, (), (4,), (4, 1), (4, 3), (4, 3, 2)]


@pytest.mark.parametrize("weight_shape", WEIGHT_SHAPES)
@pytest.mark.parametrize("name", ["Sum", "Mean"])
def test_sum_and_mean_match_keras(keras, name, weight_shape):
    rng = np.random.default_rng(0)
    ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
    for _ in range(2):
        values = rng.normal(size=(4, 3, 2)).astype("float32")
        weights = None if weight_shape is None else rng.uniform(0, 2, weight_shape).astype("float32")
        ours.update_state(torch.tensor(values), None if weights is None else torch.tensor(weights))
        theirs.update_state(values, weights)
        np.testing.assert_allclose(
            ours.result().numpy(), keras.ops.convert_to_numpy(theirs.result()), rtol=1e-5
        )
    ours.reset_state()
    assert ours.result().item() == 0.0
    assert ours.get_config() == theirs.get_config()


def test_mean_reference_and_scalars():
    metric = metrics.Mean()
    metric.update_state([1.0, 3.0, 5.0, 7.0])
    assert metric.result().item() == 4.0
    metric.update_state(10.0)
    assert metric.result().item() == pytest.approx(26 / 5)
    metric.update_state(torch.tensor([2.0, 4.0]), sample_weight=torch.tensor([0.0, 5.0]))
    assert metric.result().item() == pytest.approx((26 + 20) / 10)
    assert metrics.Mean().result().item() == 0.0  # no data: 0, not nan


def test_mean_respects_mask_carried_by_values_with_weights(keras):
    values = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    values._keras_mask = torch.tensor([[True, False], [True, True]])
    theirs = keras.metrics.Mean()
    theirs.update_state(values, sample_weight=torch.ones(2, 2))
    ours = metrics.Mean()
    ours.update_state(values, sample_weight=torch.ones(2, 2))
    np.testing.assert_allclose(ours.result().numpy(), keras.ops.convert_to_numpy(theirs.result()), rtol=1e-6)


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_mean_metric_wrapper_with_masks_matches_keras(
    keras, assert_metric_parity, make_batches, masked, weighted
):
    batches = make_batches("regression", shape=(6, 5, 3), weighted=False)
    if weighted:
        batches = [(*b, np.linspace(0.5, 2, 30).reshape(6, 5).astype("float32")) for b in batches]
    masks = [np.random.default_rng(i).uniform(size=(6, 5)) > 0.3 for i in range(3)] if masked else None
    ours = metrics.MeanMetricWrapper(losses.mean_squared_error, name="mse_wrapper")
    theirs = keras.metrics.MeanMetricWrapper(keras.losses.mean_squared_error, name="mse_wrapper")
    assert_metric_parity(ours, theirs, batches, masks)


def test_wrapper_passes_kwargs_and_config_round_trips():
    metric = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="acc_at_0.7", threshold=0.7)
    metric.update_state(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.6], [0.2]]))
    assert metric.result().item() == 0.5
    config = metric.get_config()
    assert config["fn"]["config"] == "binary_accuracy" and config["threshold"] == 0.7
    clone = metrics.MeanMetricWrapper.from_config(config)
    assert clone._fn is metrics.binary_accuracy and clone.get_config() == config
    assert getattr(metrics.MeanMetricWrapper(losses.mean_squared_error), "_direction", None) == "down"


@pytest.mark.parametrize(
    "values, weights",
    [
        ([1.0, 2.0, 3.0], [2.0]),
        ([[1.0, 2.0], [3.0, 4.0]], [[2.0], [1.0]]),
        ([[1.0, 2.0], [3.0, 4.0]], [[2.0, 1.0]]),
    ],
)
def test_mean_counts_broadcast_weights_like_keras(keras, values, weights):
    ours, theirs = metrics.Mean(), keras.metrics.Mean()
    ours.update_state(torch.tensor(values), sample_weight=torch.tensor(weights))
    theirs.update_state(np.array(values), sample_weight=np.array(weights))
    np.testing.assert_allclose(ours.count.numpy(), keras.ops.convert_to_numpy(theirs.count), rtol=1e-6)
    np.testing.assert_allclose(ours.result().numpy(), keras.ops.convert_to_numpy(theirs.result()), rtol=1e-6)


def _bits(tensor):
    return tensor.detach().reshape(-1).view(torch.uint8).tolist()


@pytest.mark.parametrize("dtype", [None, "float16", "float64"])
def test_mean_python_number_weights_match_tensor_weights_bit_for_bit(dtype):
    # The trainer's loss tracker: a scalar loss weighted by the batch size, each step.
    fast, general = metrics.Mean(dtype=dtype), metrics.Mean(dtype=dtype)
    rng = torch.Generator().manual_seed(0)
    for weight in (32, 32, 7, 0.1, 3000, 0):
        value = torch.randn((), generator=rng).to(fast.total.dtype)
        fast.update_state(value, sample_weight=weight)
        general.update_state(value, sample_weight=torch.tensor([weight], dtype=torch.float64))  # general path
        assert _bits(fast.total) == _bits(general.total) and _bits(fast.count) == _bits(general.count)
        assert _bits(fast.result()) == _bits(general.result())
    values = torch.randn(5, generator=rng).to(fast.total.dtype)
    fast.update_state(values)
    general.update_state(values, sample_weight=torch.ones(5))
    assert _bits(fast.result()) == _bits(general.result())


def _aten_ops(fn):
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        ops = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ops.append(func)
            return func(*args, **(kwargs or {}))

    with Count() as mode:
        result = fn()
    return result, mode.ops


def test_mean_result_is_one_op_and_never_trusts_a_stale_count():
    metric = metrics.Mean()
    metric.update_state(torch.tensor(2.0), sample_weight=4)
    result, ops = _aten_ops(metric.result)
    assert result.item() == 2.0 and len(ops) == 1
    metric.count.assign(0)  # written from outside: the count may now be zero
    assert metric.result().item() == 0.0
    metric.update_state(torch.tensor(1.0), sample_weight=1)  # sign still unknown: guarded result
    assert len(_aten_ops(metric.result)[1]) > 1
    metric.reset_state()
    metric.update_state(torch.tensor(3.0), sample_weight=-1)
    metric.update_state(torch.tensor(3.0), sample_weight=1)  # count back to zero
    assert metric.result().item() == 0.0
    import copy

    metric.reset_state()
    metric.update_state(torch.tensor(5.0), sample_weight=2)
    clone = copy.deepcopy(metric)
    clone.count.assign(0)
    clone.count.assign_add(0)
    assert clone.result().item() == 0.0 and metric.result().item() == 5.0
