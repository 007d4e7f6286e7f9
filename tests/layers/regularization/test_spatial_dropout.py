"""SpatialDropout1D/2D/3D: identity at inference (Keras parity), whole channels dropped in training."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.input_layer import Input
from torchkeras.layers.regularization import Dropout, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D

RNG = np.random.default_rng(0)
LAYERS = [
    (SpatialDropout1D, (4, 5, 6), {}),
    (SpatialDropout2D, (4, 3, 5, 6), {}),
    (SpatialDropout2D, (4, 6, 3, 5), {"data_format": "channels_first"}),
    (SpatialDropout3D, (2, 3, 2, 4, 6), {}),
    (SpatialDropout3D, (2, 6, 3, 2, 4), {"data_format": "channels_first"}),
]


@pytest.mark.parametrize(("cls", "shape", "kwargs"), LAYERS)
def test_identity_at_inference_and_config(keras, cls, shape, kwargs):
    x = RNG.normal(size=shape).astype("float32")
    output = check_layer(
        lambda: cls(0.5, **kwargs), x, lambda: getattr(keras.layers, cls.__name__)(0.5, **kwargs)
    )
    np.testing.assert_array_equal(output, x)
    ours, theirs = (
        cls(0.3, seed=2, **kwargs).get_config(),
        getattr(keras.layers, cls.__name__)(0.3, seed=2, **kwargs),
    )
    theirs = theirs.get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs


@pytest.mark.parametrize(("cls", "shape", "kwargs"), LAYERS)
def test_training_drops_whole_channels(cls, shape, kwargs):
    batch, channel_axis = 200, 1 if kwargs.get("data_format") == "channels_first" else -1
    x = torch.ones((batch, *shape[1:]))
    output = cls(0.4, **kwargs)(x, training=True)
    dropped = output.movedim(channel_axis, 1).reshape(batch, shape[channel_axis], -1) == 0
    assert torch.equal(dropped.all(-1), dropped.any(-1))  # a channel is dropped everywhere or nowhere
    assert abs(dropped.float().mean().item() - 0.4) < 0.05
    kept = output[output != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / 0.6))


def test_seed_reproducible_and_symbolic():
    x = torch.randn(8, 5, 6)
    first = SpatialDropout1D(0.5, seed=3)(x, training=True)
    second = SpatialDropout1D(0.5, seed=3)(x, training=True)
    assert torch.equal(first, second)
    assert isinstance(SpatialDropout1D(0.5), Dropout)
    assert SpatialDropout2D(0.5)(Input(shape=(4, 4, 3)), training=True).shape == (None, 4, 4, 3)


def test_errors():
    with pytest.raises(ValueError, match="rate"):
        SpatialDropout1D(-0.1)
    with pytest.raises(ValueError, match="data_format"):
        SpatialDropout2D(0.5, data_format="channels_middle")
    with pytest.raises(ValueError, match="rank 4"):
        SpatialDropout2D(0.5)(torch.ones(2, 3, 4), training=True)
