"""`split_dataset`: Keras's size rules; shuffled splits identical to Keras's torch backend."""

import numpy as np
import pytest
import torch

import torchkeras as tk


def test_sizes_and_order():
    x, y = np.arange(10, dtype="float32"), np.arange(10) * 2
    left, right = tk.utils.split_dataset((x, y), left_size=0.8)
    assert (len(left), len(right)) == (8, 2)
    assert [int(s[1]) for s in right] == [16, 18]  # unshuffled: the first samples go left
    left, right = tk.utils.split_dataset(x, right_size=3)
    assert (len(left), len(right)) == (7, 3)
    left, right = tk.utils.split_dataset(x, left_size=2, right_size=3)
    assert (len(left), len(right)) == (2, 3)


def test_shuffled_split_matches_keras(keras):
    x = np.arange(20, dtype="float32")
    ours = tk.utils.split_dataset(x, left_size=0.75, shuffle=True, seed=7)
    theirs = keras.utils.split_dataset(x, left_size=0.75, shuffle=True, seed=7, preferred_backend="torch")
    for a, b in zip(ours, theirs):
        assert [float(s[0]) for s in a] == [float(s[0]) for s in b]


def test_fit_iterates_a_split():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    train, test = tk.utils.split_dataset((x, y), left_size=24)
    model = tk.Sequential([tk.Input((3,)), tk.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(train, batch_size=8, epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1
    assert np.isfinite(model.evaluate(test, batch_size=8, verbose=0))


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, "At least one"),
        ({"left_size": 1.5}, "left_size"),
        ({"right_size": 0}, "right_size"),
        ({"left_size": 0.6, "right_size": 0.6}, "greater than 1"),
        ({"left_size": 6, "right_size": 6}, "at most"),
        ({"left_size": "half"}, "left_size"),
        ({"left_size": 0.01}, "empty"),
    ],
)
def test_bad_sizes(kwargs, error):
    with pytest.raises((ValueError, TypeError), match=error):
        tk.utils.split_dataset(np.arange(10), **kwargs)


def test_torch_datasets_and_bad_inputs():
    data = torch.utils.data.TensorDataset(torch.arange(6.0))
    left, right = tk.utils.split_dataset(data, left_size=4)
    assert left.dataset is data and len(right) == 2
    with pytest.raises(TypeError, match="dataset"):
        tk.utils.split_dataset("abc", left_size=1)
    with pytest.raises(ValueError, match="same length"):
        tk.utils.split_dataset((np.ones(3), np.ones(4)), left_size=1)
