"""The `Loss` base class: reductions, sample weights, masks, subclassing, config."""

import numpy as np
import pytest
import torch

from torchkeras import losses
from torchkeras.losses.loss import Loss, LossFunctionWrapper, squeeze_or_expand_to_same_rank

REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


def _squared(y_true, y_pred):
    return torch.mean(torch.square(y_pred - y_true), dim=-1)


class SquaredError(Loss):
    def call(self, y_true, y_pred):
        return _squared(y_true, y_pred)


@pytest.fixture
def keras_squared(keras):
    class KerasSquaredError(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return keras.ops.mean(keras.ops.square(y_pred - y_true), axis=-1)

    return KerasSquaredError


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "weight_shape, mask_shape",
    [
        (None, None),
        ((5, 1), None),
        ((5, 3, 1), None),
        ((5, 3), None),
        (None, (5, 3)),
        ((5, 3), (5, 3)),
        ((), None),
    ],
)
def test_subclass_reductions_weights_masks_match_keras(
    keras, keras_squared, assert_loss_parity, reduction, weight_shape, mask_shape
):
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.normal(size=(2, 5, 3, 4)).astype("float32")
    weights = None if weight_shape is None else rng.uniform(0, 2, weight_shape).astype("float32")
    mask = None if mask_shape is None else rng.uniform(size=mask_shape) > 0.4
    ours = SquaredError(name="squared_error", reduction=reduction)
    theirs = keras_squared(name="squared_error", reduction=reduction)
    assert_loss_parity(ours, theirs, y_true, y_pred, weights, mask)


def test_reference_formula_with_mask_and_weights():
    y_true, y_pred = torch.zeros(4, 2), torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]])
    y_pred._keras_mask = torch.tensor([True, True, False, True])
    weights = torch.tensor([1.0, 0.5, 7.0, 2.0])
    per_sample = torch.tensor([1.0, 4.0, 9.0, 16.0])
    kept = torch.tensor([1.0, 1.0, 0.0, 1.0])
    result = SquaredError()(y_true, y_pred, sample_weight=weights)
    torch.testing.assert_close(result, (per_sample * weights * kept).sum() / 3)
    summed = SquaredError(reduction="sum")(y_true, y_pred, sample_weight=weights)
    torch.testing.assert_close(summed, (per_sample * weights * kept).sum())


def test_all_masked_gives_zero_not_nan():
    y_pred = torch.ones(3, 2)
    y_pred._keras_mask = torch.zeros(3, dtype=torch.bool)
    assert SquaredError()(torch.zeros(3, 2), y_pred).item() == 0.0


def test_numpy_and_integer_inputs_are_converted_to_dtype():
    result = SquaredError()(np.array([[1, 2]]), np.array([[1.0, 4.0]], dtype="float64"))
    assert result.dtype == torch.float32
    assert result.item() == pytest.approx(2.0)
    assert SquaredError(dtype="float64")(np.zeros((1, 2)), np.ones((1, 2))).dtype == torch.float64
    assert SquaredError(dtype="mixed_bfloat16").dtype == "bfloat16"


def test_squeeze_or_expand_to_same_rank():
    a, b = squeeze_or_expand_to_same_rank(torch.zeros(4), torch.zeros(4, 1))
    assert a.shape == b.shape == (4, 1)
    a, b = squeeze_or_expand_to_same_rank(torch.zeros(4, 3, 1), torch.zeros(4, 3))
    assert a.shape == b.shape == (4, 3)
    a, b = squeeze_or_expand_to_same_rank(torch.zeros(4), torch.zeros(4, 1), expand_rank_1=False)
    assert a.shape == b.shape == (4,)
    a, b = squeeze_or_expand_to_same_rank(torch.zeros(4, 2), torch.zeros(4))
    assert (a.shape, b.shape) == ((4, 2), (4,))


def test_gradients_flow():
    y_pred = torch.tensor([[0.2, 0.7]], requires_grad=True)
    losses.BinaryCrossentropy()(torch.tensor([[0.0, 1.0]]), y_pred).backward()
    expected = (y_pred - torch.tensor([[0.0, 1.0]])) / (y_pred * (1 - y_pred)) / 2
    torch.testing.assert_close(y_pred.grad, expected.detach())


def test_wrapper_kwargs_config_and_round_trip(keras):
    loss = LossFunctionWrapper(losses.huber, name="h", reduction="sum", delta=0.5)
    config = loss.get_config()
    assert config == {
        "name": "h",
        "reduction": "sum",
        "fn": {
            "module": "builtins",
            "class_name": "function",
            "config": "huber",
            "registered_name": "function",
        },
        "delta": 0.5,
    }
    clone = LossFunctionWrapper.from_config(config)
    assert clone.fn is losses.huber and clone.get_config() == config
    y_true, y_pred = torch.zeros(3, 2), torch.ones(3, 2)
    per_element = 0.5 * 1.0 - 0.5 * 0.5**2  # linear branch of Huber(delta=0.5) at |error| = 1
    torch.testing.assert_close(clone(y_true, y_pred), torch.tensor(per_element * 3))


def test_structures_are_paired_leaf_by_leaf():
    loss = LossFunctionWrapper(losses.mean_squared_error)
    y_true = {"a": torch.zeros(2), "b": torch.zeros(2)}
    y_pred = {"a": torch.ones(2, 1), "b": torch.ones(2, 1)}

    def fn(y_true, y_pred):
        assert y_true["a"].shape == y_pred["a"].shape == (2, 1)
        return losses.mean_squared_error(y_true["a"], y_pred["a"])

    loss.fn = fn
    assert loss(y_true, y_pred).item() == 1.0


def test_default_name_and_base_config():
    assert SquaredError().name.startswith("squared_error")
    assert SquaredError(name="x").get_config() == {"name": "x", "reduction": "sum_over_batch_size"}
    assert SquaredError().dtype == "float32"


def test_invalid_reduction_and_unimplemented_call():
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        SquaredError(reduction="average")
    with pytest.raises(NotImplementedError, match="call"):
        Loss()(torch.zeros(1), torch.zeros(1))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_mean_reduction_divides_exactly_as_by_the_python_count(dtype):
    from torchkeras.losses.loss import reduce_values, scalar_tensor

    rng = torch.Generator().manual_seed(0)
    for size in (1, 3, 32, 255, 1000):
        values = (torch.randn(size, generator=rng) * 7).to(dtype)
        expected = values.sum() / size  # the Python int, as before the cached divisor
        assert torch.equal(
            reduce_values(values).view(-1).view(torch.uint8), expected.view(-1).view(torch.uint8)
        )
    assert scalar_tensor(32, torch.float32) is scalar_tensor(32, torch.float32)
    assert (
        scalar_tensor(32, torch.float32).item() == 32.0
        and scalar_tensor(0.1, torch.float16).dtype == torch.float16
    )
    assert torch.signbit(scalar_tensor(-0.0, torch.float32)) and not torch.signbit(
        scalar_tensor(0, torch.float32)
    )
