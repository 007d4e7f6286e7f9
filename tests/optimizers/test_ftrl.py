"""Ftrl: parity with Keras, config, errors."""

import pytest

from torchkeras.optimizers import Ftrl


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {
            "learning_rate": 0.1,
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.1,
            "l2_shrinkage_regularization_strength": 0.05,
            "beta": 0.5,
        },
    ],
)
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.Ftrl(**kwargs))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"learning_rate_power": 0.5},
        {"initial_accumulator_value": -1.0},
        {"l1_regularization_strength": -1.0},
        {"l2_regularization_strength": -1.0},
        {"l2_shrinkage_regularization_strength": -1.0},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        Ftrl(**kwargs)


def test_config(check_config):
    check_config(lambda m: m.optimizers.Ftrl(l1_regularization_strength=0.01, name="opt"))
