"""ActivityRegularization: identity output, L1/L2 activity loss per sample, as Keras."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.regularization import ActivityRegularization

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(("l1", "l2"), [(0.1, 0.0), (0.0, 0.2), (0.1, 0.2)])
def test_parity_and_loss(keras, l1, l2):
    x = RNG.normal(size=(4, 3)).astype("float32")
    check_layer(
        lambda: ActivityRegularization(l1, l2), x, lambda: keras.layers.ActivityRegularization(l1, l2)
    )
    ours, theirs = ActivityRegularization(l1, l2), keras.layers.ActivityRegularization(l1, l2)
    assert torch.equal(ours(torch.as_tensor(x)), torch.as_tensor(x))
    theirs(x)
    expected = (l1 * np.abs(x).sum() + l2 * np.square(x).sum()) / 4
    np.testing.assert_allclose(ours.losses[0].item(), expected, rtol=1e-5)
    np.testing.assert_allclose(ours.losses[0].item(), float(theirs.losses[0]), rtol=1e-5)


def test_config(keras):
    ours, theirs = (
        ActivityRegularization(0.1, 0.3).get_config(),
        keras.layers.ActivityRegularization(0.1, 0.3),
    )
    theirs = theirs.get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs and "activity_regularizer" not in ours
