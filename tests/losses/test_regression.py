"""Regression losses: parity with Keras, reference formulas."""

import numpy as np
import pytest
import torch

from torchkeras import losses

CASES = [
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("Huber", {}, "regression"),
    ("Huber", {"delta": 0.5}, "regression"),
    ("LogCosh", {}, "regression"),
    ("CosineSimilarity", {}, "regression"),
    ("CosineSimilarity", {"axis": 0}, "regression"),
]


@pytest.mark.parametrize(
    "reduction, weighted, masked", [("sum_over_batch_size", False, False), ("sum", True, True)]
)
@pytest.mark.parametrize("name, kwargs, kind", CASES, ids=str)
def test_matches_keras(
    keras, assert_loss_parity, make_inputs, name, kwargs, kind, reduction, weighted, masked
):
    y_true, y_pred = make_inputs(kind, shape=(6, 6))  # square, so `axis=0` losses also fit the weights
    weights = np.linspace(0.2, 1.7, 6).astype("float32") if weighted else None
    mask = np.array([True, False, True, True, False, True]) if masked else None
    ours = getattr(losses, name)(reduction=reduction, **kwargs)
    assert_loss_parity(
        ours, getattr(keras.losses, name)(reduction=reduction, **kwargs), y_true, y_pred, weights, mask
    )


@pytest.mark.parametrize("shapes", [((6,), (6, 1)), ((6, 1), (6,)), ((2, 3, 4), (2, 3, 4))])
def test_rank_alignment_and_sequence_masks(keras, assert_loss_parity, shapes):
    rng = np.random.default_rng(3)
    y_true = rng.normal(size=shapes[0]).astype("float32")
    y_pred = rng.normal(size=shapes[1]).astype("float32")
    mask = (rng.uniform(size=(2, 3)) > 0.3) if len(shapes[1]) == 3 else None
    assert_loss_parity(losses.MeanSquaredError(), keras.losses.MeanSquaredError(), y_true, y_pred, mask=mask)


def test_reference_formulas():
    y_true = torch.tensor([[0.0, 2.0], [1.0, -1.0]])
    y_pred = torch.tensor([[0.5, 0.0], [1.0, 1.5]])
    error = y_pred - y_true
    torch.testing.assert_close(losses.mean_squared_error(y_true, y_pred), (error**2).mean(-1))
    torch.testing.assert_close(losses.mean_absolute_error(y_true, y_pred), error.abs().mean(-1))
    huber = torch.where(error.abs() <= 1, 0.5 * error**2, error.abs() - 0.5).mean(-1)
    torch.testing.assert_close(losses.huber(y_true, y_pred), huber)
    torch.testing.assert_close(losses.log_cosh(y_true, y_pred), torch.log(torch.cosh(error)).mean(-1))
    cosine = -torch.nn.functional.cosine_similarity(y_true, y_pred, dim=-1)
    torch.testing.assert_close(losses.cosine_similarity(y_true, y_pred), cosine)


def test_log_cosh_does_not_overflow():
    assert torch.isfinite(losses.log_cosh(torch.zeros(1, 1), torch.full((1, 1), 1000.0))).all()


def test_mape_with_zero_labels_uses_epsilon(keras):
    y_true, y_pred = np.zeros((2, 2), "float32"), np.full((2, 2), 1e-3, "float32")
    expected = keras.ops.convert_to_numpy(keras.losses.mean_absolute_percentage_error(y_true, y_pred))
    np.testing.assert_allclose(
        losses.mean_absolute_percentage_error(y_true, y_pred).numpy(), expected, rtol=1e-5
    )
