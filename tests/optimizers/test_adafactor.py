"""Adafactor: parity with Keras (factored and unfactored variables), config."""

import pytest


@pytest.mark.parametrize("kwargs", [{}, {"learning_rate": 0.01, "clip_threshold": 0.5, "beta_2_decay": -0.5}])
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.Adafactor(**kwargs))


def test_config(check_config):
    check_config(lambda m: m.optimizers.Adafactor(epsilon_2=1e-2, name="opt"))
