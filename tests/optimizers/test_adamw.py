"""AdamW: decoupled weight decay, parity with Keras, config and errors."""

import numpy as np
import pytest
import torch

from torchkeras.optimizers import Adam, AdamW


@pytest.mark.parametrize("kwargs", [{}, {"weight_decay": 0.1, "learning_rate": 0.01, "amsgrad": True}])
def test_parity(check_parity, kwargs):
    check_parity(lambda m: m.optimizers.AdamW(**kwargs))


def test_decay_is_decoupled():
    # AdamW == scale by (1 - wd * lr), then a plain Adam step.
    grads = [torch.tensor([0.5, -1.0]), torch.tensor([2.0, 0.25])]
    decayed, plain = torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    adamw, adam = AdamW(learning_rate=0.1, weight_decay=0.5), Adam(learning_rate=0.1)
    for g in grads:
        adamw.apply([g], [decayed])
        plain.mul_(1 - 0.5 * float(adam.learning_rate))
        adam.apply([g], [plain])
    np.testing.assert_allclose(decayed.numpy(), plain.numpy(), rtol=1e-6)


def test_exclude_from_weight_decay():
    kernel, bias = torch.ones(2), torch.ones(2)
    bias.path = "dense/bias"
    optimizer = AdamW(learning_rate=0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    optimizer.apply([torch.zeros(2), torch.zeros(2)], [kernel, bias])
    np.testing.assert_allclose(kernel.numpy(), [0.95, 0.95], rtol=1e-6)
    np.testing.assert_allclose(bias.numpy(), [1.0, 1.0])


def test_weight_decay_required():
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=None)


def test_config(check_config):
    check_config(lambda m: m.optimizers.AdamW(weight_decay=0.01, name="opt"))
