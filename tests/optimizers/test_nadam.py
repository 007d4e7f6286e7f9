"""Nadam: parity with Keras (including its u_product variable), state round trip, config."""

import copy

import numpy as np
import pytest
import torch

from torchkeras.optimizers import Nadam


@pytest.mark.parametrize("kwargs", [{}, {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99}])
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.Nadam(**kwargs), steps=8)


def test_parity_with_accumulation(check_parity):
    check_parity(lambda m: m.optimizers.Nadam(learning_rate=0.01, gradient_accumulation_steps=2), steps=6)


def test_u_product_survives_state_round_trip():
    grads = [torch.tensor([0.5, -1.0]) * (i + 1) for i in range(6)]
    first, second = torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    uninterrupted, resumed = Nadam(0.01), Nadam(0.01)
    for g in grads[:3]:
        uninterrupted.apply([g], [first])
        resumed.apply([g], [second])
    saved = copy.deepcopy(resumed.state_dict())
    restored_variable = second.clone()
    restored = Nadam(0.01)
    restored.load_state_dict(saved)
    for g in grads[3:]:
        uninterrupted.apply([g], [first])
        restored.apply([g], [restored_variable])
    np.testing.assert_allclose(restored_variable.numpy(), first.numpy(), rtol=1e-6)


def test_config(check_config):
    check_config(lambda m: m.optimizers.Nadam(beta_1=0.8, name="opt"))
