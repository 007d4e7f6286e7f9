"""Discretization: parity with Keras for given boundaries (every output mode), adapt against
Keras's quantile summaries (arrays and batches), config round trips, errors."""

import types

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.preprocessing import Discretization

RNG = np.random.default_rng(0)
VALUES = RNG.normal(size=(6, 4)).astype("float32") * 2


@pytest.fixture
def keras_adapt(keras, monkeypatch):
    """Keras's `adapt` checks for `tf.data.Dataset` / `tf.is_tensor` first; without TensorFlow,
    stand dummies in for them."""
    from keras.src.layers.preprocessing import discretization

    fake_tf = types.SimpleNamespace(
        data=types.SimpleNamespace(Dataset=type("D", (), {})), is_tensor=lambda x: False
    )
    monkeypatch.setattr(discretization, "tf", fake_tf)
    return keras


@pytest.mark.parametrize("output_mode", ["int", "one_hot", "multi_hot", "count"])
def test_given_boundaries_match_keras(keras, output_mode):
    boundaries = [-1.0, 0.0, 0.5, 2.0]
    x = np.concatenate([VALUES, [[-1.0, 0.0, 0.5, 2.0]]]).astype("float32")  # values on the edges
    out = check_layer(
        lambda: Discretization(boundaries, output_mode=output_mode),
        x,
        lambda: keras.layers.Discretization(boundaries, output_mode=output_mode),
    )
    if output_mode == "int":
        np.testing.assert_array_equal(out, np.digitize(x, boundaries))
        assert out.dtype == np.int32


@pytest.mark.parametrize(("num_bins", "epsilon"), [(4, 0.01), (3, 0.1), (10, 0.05)])
def test_adapt_array_matches_keras(keras_adapt, num_bins, epsilon):
    data = RNG.normal(size=(500, 3))
    ours, theirs = (
        Discretization(num_bins=num_bins, epsilon=epsilon),
        keras_adapt.layers.Discretization(num_bins=num_bins, epsilon=epsilon),
    )
    ours.adapt(data)
    theirs.adapt(data)
    np.testing.assert_array_equal(ours.bin_boundaries, theirs.bin_boundaries)
    assert len(ours.bin_boundaries) == num_bins - 1
    # Approximate quantiles: near the exact ones.
    exact = np.quantile(data, np.arange(1, num_bins) / num_bins)
    np.testing.assert_allclose(ours.bin_boundaries, exact, atol=0.15)


def test_adapt_batches_matches_keras(keras_adapt):
    data = RNG.uniform(size=1000).astype("float32")
    batches = [data[i : i + 128] for i in range(0, 1000, 128)]
    ours, theirs = Discretization(num_bins=5), keras_adapt.layers.Discretization(num_bins=5)
    ours.adapt(batches)
    theirs.adapt(batches)
    np.testing.assert_array_equal(ours.bin_boundaries, theirs.bin_boundaries)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.as_tensor(data)), batch_size=128
    )
    from_loader = Discretization(num_bins=5)
    from_loader.adapt(loader)
    np.testing.assert_array_equal(from_loader.bin_boundaries, theirs.bin_boundaries)
    first_two = Discretization(num_bins=5)
    first_two.adapt(batches, steps=2)
    theirs.adapt(batches, steps=2)
    np.testing.assert_array_equal(first_two.bin_boundaries, theirs.bin_boundaries)


def test_adapted_config_round_trip(keras_adapt):
    layer = Discretization(num_bins=4)
    layer.adapt(RNG.normal(size=200))
    config = layer.get_config()
    clone = Discretization.from_config(config)
    assert clone.bin_boundaries == layer.bin_boundaries and clone.num_bins == 4
    theirs = keras_adapt.layers.Discretization.from_config(config)
    x = RNG.normal(size=(3, 5)).astype("float32")
    np.testing.assert_array_equal(clone(torch.as_tensor(x)).numpy(), np.asarray(theirs(x)))
    ours = Discretization(bin_boundaries=[0.0, 1.0]).get_config()
    fixed = keras_adapt.layers.Discretization(bin_boundaries=[0.0, 1.0]).get_config()
    assert {k: v for k, v in ours.items() if k != "name"} == {k: v for k, v in fixed.items() if k != "name"}


def test_errors():
    with pytest.raises(ValueError, match="`output_mode`.*Did you mean 'one_hot'"):
        Discretization([0.0], output_mode="ont_hot")
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        Discretization()
    with pytest.raises(ValueError, match="only one of"):
        Discretization([0.0], num_bins=2)
    with pytest.raises(ValueError, match="`num_bins` must be an integer >= 0"):
        Discretization(num_bins=-1)
    with pytest.raises(ValueError, match="sparse"):
        Discretization([0.0], output_mode="one_hot", sparse=True)
    with pytest.raises(ValueError, match="cannot adapt"):
        Discretization([0.0]).adapt(VALUES)
    with pytest.raises(ValueError, match="call `adapt"):
        Discretization(num_bins=3)(torch.as_tensor(VALUES))
