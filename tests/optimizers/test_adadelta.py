"""Adadelta: parity with Keras, config."""

import pytest


@pytest.mark.parametrize("kwargs", [{}, {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-4}])
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.Adadelta(**kwargs))


def test_parity_through_step(check_parity):
    check_parity(lambda m: m.optimizers.Adadelta(learning_rate=1.0), use_step=True)


def test_config(check_config):
    check_config(lambda m: m.optimizers.Adadelta(learning_rate=1.0, rho=0.9, name="opt"))
