"""RMSprop: parity with Keras (momentum, centered), the rule written out, config."""

import numpy as np
import pytest
import torch

from torchkeras.optimizers import RMSprop


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"momentum": 0.9},
        {"centered": True},
        {"momentum": 0.5, "centered": True, "rho": 0.8, "epsilon": 1e-3},
    ],
)
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.RMSprop(**kwargs))


def test_parity_through_step(check_parity):
    check_parity(lambda m: m.optimizers.RMSprop(momentum=0.5, centered=True), use_step=True)


def test_reference_formula():
    # Keras puts epsilon inside the square root: g * lr / sqrt(v + eps).
    lr, rho, eps = 0.1, 0.9, 0.5
    w = np.array([1.0, -1.0])
    variable = torch.tensor(w)
    optimizer = RMSprop(lr, rho=rho, epsilon=eps)
    v = np.zeros(2)
    for g in [np.array([1.0, 2.0]), np.array([-0.5, 0.5])]:
        optimizer.apply([torch.tensor(g)], [variable])
        v = rho * v + (1 - rho) * g**2
        w = w - lr * g / np.sqrt(v + eps)
    np.testing.assert_allclose(variable.numpy(), w, rtol=1e-6)


def test_config(check_config):
    check_config(lambda m: m.optimizers.RMSprop(momentum=0.9, centered=True, name="opt"))
