"""Hinge losses: parity with Keras (0/1 and -1/1 labels), reference formula."""

import numpy as np
import pytest
import torch

from torchkeras import losses


@pytest.mark.parametrize("kind", ["binary", "signed"])
@pytest.mark.parametrize("name", ["Hinge", "SquaredHinge", "CategoricalHinge"])
def test_matches_keras(keras, assert_loss_parity, make_inputs, name, kind):
    if name == "CategoricalHinge":
        kind = "categorical_logits"
    y_true, y_pred = make_inputs(kind, shape=(6, 4))
    weights = np.linspace(0.5, 2.0, 6).astype("float32")
    for reduction in ("sum_over_batch_size", "none"):
        ours, theirs = (
            getattr(losses, name)(reduction=reduction),
            getattr(keras.losses, name)(reduction=reduction),
        )
        assert_loss_parity(ours, theirs, y_true, y_pred, sample_weight=weights)


def test_binary_labels_become_signed():
    y_pred = torch.tensor([[0.3, -0.8]])
    torch.testing.assert_close(
        losses.hinge(torch.tensor([[1.0, 0.0]]), y_pred), losses.hinge(torch.tensor([[1.0, -1.0]]), y_pred)
    )
    torch.testing.assert_close(
        losses.hinge(torch.tensor([[1.0, -1.0]]), y_pred), torch.tensor([(0.7 + 0.2) / 2])
    )


def test_categorical_hinge_reference():
    y_true, y_pred = torch.tensor([[0.0, 1.0, 0.0]]), torch.tensor([[0.2, 0.5, 0.9]])
    torch.testing.assert_close(losses.categorical_hinge(y_true, y_pred), torch.tensor([0.9 - 0.5 + 1.0]))
