"""PReLU layer: parity with Keras (weights shared on some axes), regularizer, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.activations import PReLU

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((3, 5), {"alpha_initializer": "random_uniform"}),
        ((2, 4, 5, 3), {"shared_axes": [1, 2], "alpha_initializer": "random_uniform"}),
        ((2, 4, 3), {"shared_axes": 1}),
        ((2, 4, 3), {"alpha_constraint": "non_neg"}),
    ],
)
def test_parity(keras, shape, kwargs):
    x = RNG.normal(size=shape).astype("float32")
    check_layer(lambda: PReLU(**kwargs), x, lambda: keras.layers.PReLU(**kwargs))
    ours, theirs = PReLU(**kwargs), keras.layers.PReLU(**kwargs)
    ours.build((None, *shape[1:]))
    theirs.build((None, *shape[1:]))
    assert ours.count_params() == theirs.count_params()
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    ours_config.pop("name"), theirs_config.pop("name")
    assert ours_config == theirs_config


def test_reference_gradient_and_regularizer():
    layer = PReLU(alpha_initializer="ones", alpha_regularizer="l2", shared_axes=[1])
    x = torch.tensor([[[-2.0, 3.0], [1.0, -4.0]]])
    with torch.no_grad():
        layer(x)
        layer.alpha.fill_(0.25)
    output = layer(x)
    torch.testing.assert_close(output, torch.tensor([[[-0.5, 3.0], [1.0, -1.0]]]))
    output.sum().backward()
    torch.testing.assert_close(layer.alpha.grad, torch.tensor([[-2.0, -4.0]]))
    assert len(layer.losses) == 1


def test_errors():
    with pytest.raises(ValueError, match="shared_axes"):
        PReLU(shared_axes="1")
    with pytest.raises(ValueError, match="shared_axes"):
        PReLU(shared_axes=[3])(torch.ones(2, 3))
