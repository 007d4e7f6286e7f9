"""Lion: parity with Keras, the rule written out, config, errors."""

import numpy as np
import pytest
import torch

from torchkeras.optimizers import Lion


@pytest.mark.parametrize("kwargs", [{}, {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9}])
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.Lion(**kwargs))


def test_reference_formula():
    lr, b1, b2 = 0.1, 0.9, 0.99
    w = np.array([1.0, -1.0, 0.5])
    variable = torch.tensor(w)
    optimizer = Lion(lr, beta_1=b1, beta_2=b2)
    m = np.zeros(3)
    for g in [np.array([1.0, -2.0, 0.0]), np.array([-0.5, 0.5, 3.0])]:
        optimizer.apply([torch.tensor(g)], [variable])
        w = w - lr * np.sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g
    np.testing.assert_allclose(variable.numpy(), w, rtol=1e-6)


@pytest.mark.parametrize("beta_1", [0.0, 1.5])
def test_bad_beta_1(beta_1):
    with pytest.raises(ValueError, match="beta_1"):
        Lion(beta_1=beta_1)


def test_config(check_config):
    check_config(lambda m: m.optimizers.Lion(beta_2=0.98, name="opt"))
