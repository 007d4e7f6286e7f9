"""Adamax: parity with Keras, config."""

import pytest


@pytest.mark.parametrize(
    "kwargs", [{}, {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-3}]
)
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.Adamax(**kwargs))


def test_config(check_config):
    check_config(lambda m: m.optimizers.Adamax(learning_rate=0.002, name="opt"))
