"""Parity harness: the same gradients applied by a Keras optimizer and by ours, then compared."""

import numpy as np
import pytest
import torch

import torchkeras
import torchkeras.optimizers  # noqa: F401  (makes `torchkeras.optimizers` an attribute)
from tests.optimizers.optimizer_parity import make_data, to_numpy


@pytest.fixture
def check_parity(keras):
    """`check(make, ...)`: builds `make(keras)` and `make(torchkeras)`, applies the same random
    gradients to the same initial variables, and compares variables and optimizer variables.

    `use_step=True` drives ours through `.grad` + `step()` (the trainer's path) instead of `apply`.
    Returns `(keras_optimizer, keras_variables, our_optimizer, our_variables)`.
    """

    def check(make, steps=5, use_step=False, rtol=1e-5, atol=1e-6, scale=1.0, compare_slots=True):
        init, grads = make_data(steps, scale=scale)
        keras_opt, ours = make(keras), make(torchkeras)
        keras_vars = [keras.Variable(x) for x in init]
        our_vars = [torch.tensor(x, requires_grad=use_step) for x in init]
        if use_step:
            ours.build(our_vars)
        for step_grads in grads:
            keras_opt.apply([keras.ops.convert_to_tensor(g) for g in step_grads], keras_vars)
            if use_step:
                for variable, g in zip(our_vars, step_grads):
                    variable.grad = torch.tensor(g)
                ours.step()
                ours.zero_grad(set_to_none=True)
            else:
                ours.apply([torch.tensor(g) for g in step_grads], our_vars)
        for expected, actual in zip(keras_vars, our_vars):
            np.testing.assert_allclose(
                actual.detach().numpy(), to_numpy(keras, expected), rtol=rtol, atol=atol
            )
        if compare_slots:
            assert len(ours.variables) == len(keras_opt.variables)
            for expected, actual in zip(keras_opt.variables, ours.variables):
                assert tuple(actual.shape) == tuple(expected.shape)
                np.testing.assert_allclose(
                    actual.detach().double().numpy(), to_numpy(keras, expected), rtol=rtol, atol=atol
                )
        return keras_opt, keras_vars, ours, our_vars

    return check


@pytest.fixture
def check_config(keras):
    """`check(make)`: our `get_config()` equals Keras's, and `from_config` round-trips it."""

    def check(make):
        keras_opt, ours = make(keras), make(torchkeras)
        expected = keras_opt.get_config()
        config = ours.get_config()
        assert list(config) == list(expected)
        assert config == expected
        again = type(ours).from_config(config)
        assert again.get_config() == config
        return config

    return check
