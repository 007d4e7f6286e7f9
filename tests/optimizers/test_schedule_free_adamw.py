"""ScheduleFreeAdamW: parity with Keras (torch backend), warm-up, config, errors."""

import numpy as np
import pytest
import torch

from torchkeras.optimizers import ScheduleFreeAdamW


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"learning_rate": 0.01, "beta_1": 0.8, "warmup_steps": 3}, {"weight_decay": 0.05, "epsilon": 1e-6}],
)
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.ScheduleFreeAdamW(**kwargs), rtol=1e-5, atol=1e-5)


def test_first_step_is_an_adam_step_on_z():
    """Step 1: z = w - lr * g / (|g| + eps) and the average x = z, so y = z."""
    lr, eps = 0.1, 1e-8
    w = np.array([1.0, -1.0])
    g = np.array([2.0, -0.5])
    variable = torch.tensor(w)
    ScheduleFreeAdamW(lr, epsilon=eps).apply([torch.tensor(g)], [variable])
    np.testing.assert_allclose(variable.numpy(), w - lr * g / (np.abs(g) + eps), rtol=1e-6)


def test_config_and_errors(check_config):
    check_config(lambda m: m.optimizers.ScheduleFreeAdamW(warmup_steps=10, name="opt"))
    with pytest.raises(ValueError, match="warmup_steps"):
        ScheduleFreeAdamW(warmup_steps=-1)
