"""Dice and Tversky losses: parity with Keras, reference formula."""

import numpy as np
import pytest
import torch

from torchkeras import losses


@pytest.mark.parametrize("axis", [None, (1, 2)])
@pytest.mark.parametrize(
    "name, kwargs", [("Dice", {}), ("Tversky", {}), ("Tversky", {"alpha": 0.7, "beta": 0.3})]
)
def test_matches_keras(keras, assert_loss_parity, make_inputs, name, kwargs, axis):
    y_true, y_pred = make_inputs("binary", shape=(3, 4, 5))
    weights = np.array([0.5, 1.0, 2.0], "float32") if axis else None
    ours = getattr(losses, name)(axis=axis, **kwargs)
    assert_loss_parity(
        ours, getattr(keras.losses, name)(axis=axis, **kwargs), y_true, y_pred, sample_weight=weights
    )


def test_reference_formulas():
    y_true, y_pred = torch.tensor([[1.0, 1.0, 0.0]]), torch.tensor([[0.8, 0.4, 0.2]])
    dice = 1 - 2 * (0.8 + 0.4) / (2 + 1.4 + 1e-7)
    torch.testing.assert_close(losses.dice(y_true, y_pred), torch.tensor(dice))
    tp, fp, fn = 1.2, (1 - 0.8) + (1 - 0.4), 0.2
    tversky = 1 - tp / (tp + 0.7 * fp + 0.3 * fn + 1e-7)
    torch.testing.assert_close(losses.tversky(y_true, y_pred, alpha=0.7, beta=0.3), torch.tensor(tversky))
