"""Adam: parity with Keras, Keras's update rule written out, config."""

import numpy as np
import pytest
import torch

from torchkeras.optimizers import Adam


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"amsgrad": True}, {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-3}],
)
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.Adam(**kwargs))


def test_parity_through_step(check_parity):
    check_parity(lambda m: m.optimizers.Adam(learning_rate=0.01, amsgrad=True), use_step=True)


def test_reference_formula():
    # Keras: alpha = lr * sqrt(1 - b2**t) / (1 - b1**t); w -= alpha * m / (sqrt(v) + eps), with
    # eps added to sqrt(v) *before* v's bias correction (not torch.optim.Adam's rule).
    lr, b1, b2, eps = 0.125, 0.9, 0.999, 0.1
    w = np.array([1.0, -2.0, 3.0])
    grads = [np.array([0.5, -1.0, 2.0]), np.array([-0.25, 0.5, 1.0]), np.array([1.0, 1.0, -1.0])]
    variable = torch.tensor(w)
    optimizer = Adam(learning_rate=lr, epsilon=eps)
    m = v = np.zeros(3)
    for t, g in enumerate(grads, start=1):
        optimizer.apply([torch.tensor(g)], [variable])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        w = w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(variable.numpy(), w, rtol=1e-6)


def test_slot_names_in_state():
    variable = torch.zeros(2)
    optimizer = Adam(amsgrad=True)
    optimizer.build([variable])
    assert set(optimizer.state[variable]) == {"momentum", "velocity", "velocity_hat"}


def test_config(check_config):
    check_config(lambda m: m.optimizers.Adam(learning_rate=0.01, amsgrad=True, name="opt"))
