"""SGD: plain, momentum and Nesterov parity with Keras, the rule written out, config, errors."""

import numpy as np
import pytest
import torch

from torchkeras.optimizers import SGD


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}, {"learning_rate": 0.1, "momentum": 0.5}],
)
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.SGD(**kwargs))


def test_parity_through_step(check_parity):
    check_parity(lambda m: m.optimizers.SGD(momentum=0.9, nesterov=True), use_step=True)


def test_reference_formula():
    lr, momentum = 0.1, 0.9
    w = np.array([1.0, -1.0])
    grads = [np.array([1.0, 2.0]), np.array([-0.5, 0.5]), np.array([2.0, 0.0])]
    plain, nesterov = torch.tensor(w), torch.tensor(w)
    opt_plain, opt_nesterov = SGD(lr, momentum=momentum), SGD(lr, momentum=momentum, nesterov=True)
    velocity, w_plain, w_nesterov = np.zeros(2), w.copy(), w.copy()
    for g in grads:
        opt_plain.apply([torch.tensor(g)], [plain])
        opt_nesterov.apply([torch.tensor(g)], [nesterov])
        velocity = momentum * velocity - lr * g
        w_plain = w_plain + velocity
        w_nesterov = w_nesterov + momentum * velocity - lr * g
    np.testing.assert_allclose(plain.numpy(), w_plain, rtol=1e-6)
    np.testing.assert_allclose(nesterov.numpy(), w_nesterov, rtol=1e-6)


def test_no_slots_without_momentum():
    optimizer = SGD()
    optimizer.build([torch.zeros(3)])
    assert len(optimizer.variables) == 2  # iterations, learning_rate


@pytest.mark.parametrize("momentum", [-0.1, 1.5, "0.9"])
def test_bad_momentum(momentum):
    with pytest.raises(ValueError, match="`momentum` must be a float between"):
        SGD(momentum=momentum)


def test_config(check_config):
    check_config(lambda m: m.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True, name="opt"))
