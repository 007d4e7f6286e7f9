"""Lamb: parity with Keras, the trust-ratio rule written out, config."""

import numpy as np
import pytest
import torch

from torchkeras.optimizers import Lamb


@pytest.mark.parametrize(
    "kwargs", [{}, {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-4}]
)
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.Lamb(**kwargs))


def test_parity_through_step_with_weight_decay(check_parity):
    check_parity(lambda m: m.optimizers.Lamb(learning_rate=0.01, weight_decay=0.1), use_step=True)


def test_reference_formula():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    w = np.array([1.0, -2.0, 0.5])
    variable = torch.tensor(w)
    optimizer = Lamb(lr)
    m = v = np.zeros(3)
    for t, g in enumerate([np.array([1.0, -2.0, 0.3]), np.array([-0.5, 0.5, 3.0])], start=1):
        optimizer.apply([torch.tensor(g)], [variable])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        update = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        w = w - lr * (np.linalg.norm(w) / np.linalg.norm(update)) * update
    np.testing.assert_allclose(variable.numpy(), w, rtol=1e-6)


def test_zero_weights_use_a_ratio_of_one():
    variable = torch.zeros(2)
    Lamb(0.1).apply([torch.tensor([1.0, -1.0])], [variable])
    np.testing.assert_allclose(variable.numpy(), [-0.1, 0.1], rtol=1e-5)


def test_config(check_config):
    check_config(lambda m: m.optimizers.Lamb(beta_2=0.98, epsilon=1e-6, name="opt"))
