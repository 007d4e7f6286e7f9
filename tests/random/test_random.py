"""keras.random: values equal Keras's for integer seeds, distributions match their formulas."""

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras import random as tkr

LOGITS = [[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]]
CALLS = {
    "normal": lambda r, seed: r.normal((3, 4), mean=1.0, stddev=2.0, seed=seed),
    "uniform": lambda r, seed: r.uniform((3, 4), minval=-2.0, maxval=5.0, seed=seed),
    "uniform_scalar": lambda r, seed: r.uniform((), seed=seed),
    "randint": lambda r, seed: r.randint((3, 4), 0, 10, seed=seed),
    "truncated_normal": lambda r, seed: r.truncated_normal((40, 3), stddev=0.5, seed=seed),
    "categorical": lambda r, seed: r.categorical(LOGITS, 5, seed=seed),
    "dropout": lambda r, seed: r.dropout(torch.ones(4, 6), 0.4, seed=seed),
    "dropout_noise_shape": lambda r, seed: r.dropout(torch.ones(4, 6), 0.5, noise_shape=(None, 1), seed=seed),
    "shuffle": lambda r, seed: r.shuffle(torch.arange(24.0).reshape(4, 6), seed=seed),
    "shuffle_axis1": lambda r, seed: r.shuffle(torch.arange(24.0).reshape(4, 6), axis=1, seed=seed),
    "gamma": lambda r, seed: r.gamma((3, 4), alpha=2.0, seed=seed),
    "binomial": lambda r, seed: r.binomial((3, 4), counts=10, probabilities=0.3, seed=seed),
    "beta": lambda r, seed: r.beta((3, 4), alpha=2.0, beta=3.0, seed=seed),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_integer_seed_gives_keras_values(keras, name):
    ours = CALLS[name](tkr, 1234)
    theirs = keras.ops.convert_to_numpy(CALLS[name](keras.random, 1234))
    assert ours.numpy().dtype == theirs.dtype
    np.testing.assert_array_equal(ours.numpy(), theirs)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_seed_generator_sequence_equals_keras(keras, name):
    ours, theirs = tkr.SeedGenerator(7), keras.random.SeedGenerator(7)
    for _ in range(3):
        np.testing.assert_array_equal(
            CALLS[name](tkr, ours).numpy(), keras.ops.convert_to_numpy(CALLS[name](keras.random, theirs))
        )
    np.testing.assert_array_equal(ours.state.numpy(), keras.ops.convert_to_numpy(theirs.state.value))


@pytest.mark.parametrize("name", sorted(CALLS))
def test_integer_seed_is_stateless_and_generator_advances(name):
    np.testing.assert_array_equal(CALLS[name](tkr, 3).numpy(), CALLS[name](tkr, 3).numpy())
    generator = tkr.SeedGenerator(3)
    first, second = CALLS[name](tkr, generator), CALLS[name](tkr, generator)
    if name not in ("uniform_scalar", "categorical"):  # tiny outputs may repeat by chance
        assert not torch.equal(first, second)


def test_global_generator_is_reset_by_set_random_seed():
    tk.utils.set_random_seed(5)
    first = [tkr.normal((4,)), tkr.uniform((4,)), tkr.dropout(torch.ones(8), 0.5, seed=tkr.SeedGenerator())]
    tk.utils.set_random_seed(5)
    again = [tkr.normal((4,)), tkr.uniform((4,)), tkr.dropout(torch.ones(8), 0.5, seed=tkr.SeedGenerator())]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not torch.equal(first[0], tkr.normal((4,)))  # unseeded calls keep moving


def test_statistics_match_the_distributions():
    n = 200_000
    normal = tkr.normal((n,), mean=2.0, stddev=3.0, seed=1, dtype="float64")
    assert abs(normal.mean() - 2.0) < 0.05 and abs(normal.std() - 3.0) < 0.05
    uniform = tkr.uniform((n,), minval=-1.0, maxval=3.0, seed=2)
    assert uniform.min() >= -1.0 and uniform.max() < 3.0 and abs(uniform.mean() - 1.0) < 0.02
    truncated = tkr.truncated_normal((n,), mean=1.0, stddev=2.0, seed=3)
    assert truncated.min() > -3.0 and truncated.max() < 5.0
    # A standard normal truncated to (-2, 2) has variance 1 - 4 phi(2) / (Phi(2) - Phi(-2)) = 0.7737.
    assert abs(((truncated - 1.0) / 2.0).var() - 0.7737) < 0.01
    ints = tkr.randint((n,), 3, 7, seed=4)
    assert ints.dtype == torch.int32 and set(ints.unique().tolist()) == {3, 4, 5, 6}
    gamma = tkr.gamma((n,), alpha=3.0, seed=5)  # mean = variance = alpha
    assert abs(gamma.mean() - 3.0) < 0.03 and abs(gamma.var() - 3.0) < 0.1
    binomial = tkr.binomial((n,), counts=10, probabilities=0.3, seed=6)  # mean np, variance np(1-p)
    assert abs(binomial.mean() - 3.0) < 0.02 and abs(binomial.var() - 2.1) < 0.05
    beta = tkr.beta((n,), alpha=2.0, beta=3.0, seed=7)  # mean a/(a+b), variance ab/((a+b)^2(a+b+1))
    assert abs(beta.mean() - 0.4) < 0.005 and abs(beta.var() - 0.04) < 0.002
    logits = torch.log(torch.tensor([[0.2, 0.3, 0.5]]))
    counts = torch.bincount(tkr.categorical(logits, n, seed=8)[0].long(), minlength=3) / n
    torch.testing.assert_close(counts, torch.tensor([0.2, 0.3, 0.5]), atol=0.01, rtol=0)


def test_dropout_scales_and_keeps_the_expected_fraction():
    x = torch.full((100_000,), 2.0)
    out = tkr.dropout(x, 0.3, seed=1)
    kept = out[out != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 2.0 / 0.7))
    assert abs((out != 0).float().mean() - 0.7) < 0.01
    shared = tkr.dropout(torch.ones(50, 8), 0.5, noise_shape=(None, 1), seed=2)
    assert bool(((shared == 0).all(1) | (shared != 0).all(1)).all())  # one draw per row
    assert torch.equal(tkr.dropout(x, 0.0), x) and not tkr.dropout(x, 1.0).any()


def test_shuffle_permutes_each_slice():
    x = torch.arange(60).reshape(6, 10)
    out = tkr.shuffle(x, axis=1, seed=3)
    assert torch.equal(out.sort(1).values, x) and not torch.equal(out, x)


def test_seed_generator_state_config_and_errors():
    generator = tkr.SeedGenerator(seed=11, name="gen")
    assert generator.state.dtype == torch.int32 and generator.state.tolist() == [11, 0]
    assert generator.next().tolist() == [11, 0] and generator.state.tolist() == [11, 1]
    clone = tkr.SeedGenerator.from_config(generator.get_config())
    assert clone.get_config() == {"seed": 11, "name": "gen"} and clone.state.tolist() == [11, 0]
    with pytest.raises(ValueError, match="seed"):
        tkr.SeedGenerator(seed=1.5)
    with pytest.raises(ValueError, match="seed"):
        tkr.normal((2,), seed="abc")
    with pytest.raises(ValueError, match="dtype"):
        tkr.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="dtype"):
        tkr.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="logits"):
        tkr.categorical(torch.zeros(3), 2)


def test_generator_draws_inside_a_layer_of_a_functional_model():
    class Noise(tk.layers.Layer):
        def __init__(self):
            super().__init__()
            self.seed_generator = tkr.SeedGenerator(1337)

        def call(self, x):
            return x + tkr.normal(tuple(x.shape), seed=self.seed_generator)

    inputs = tk.Input((3,))
    layer = Noise()
    model = tk.Model(inputs, layer(inputs))
    assert layer.seed_generator.state.tolist() == [1337, 0]  # shape inference drew no seed
    first, second = model(torch.zeros(2, 3)), model(torch.zeros(2, 3))
    expected = tkr.normal((2, 3), seed=tkr.SeedGenerator(1337))
    torch.testing.assert_close(first, expected)
    assert not torch.equal(first, second)
