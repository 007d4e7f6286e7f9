"""Adagrad: parity with Keras, the rule written out, config."""

import numpy as np
import pytest
import torch

from torchkeras.optimizers import Adagrad


@pytest.mark.parametrize(
    "kwargs", [{}, {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-3}]
)
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.Adagrad(**kwargs))


def test_reference_formula():
    lr, eps = 0.1, 1e-7
    w = np.array([1.0, -1.0])
    variable = torch.tensor(w)
    optimizer = Adagrad(lr, initial_accumulator_value=0.1, epsilon=eps)
    accumulator = np.full(2, 0.1)
    for g in [np.array([1.0, 2.0]), np.array([-0.5, 0.5])]:
        optimizer.apply([torch.tensor(g)], [variable])
        accumulator = accumulator + g**2
        w = w - lr * g / np.sqrt(accumulator + eps)
    np.testing.assert_allclose(variable.numpy(), w, rtol=1e-6)


def test_config(check_config):
    check_config(lambda m: m.optimizers.Adagrad(initial_accumulator_value=0.2, name="opt"))
