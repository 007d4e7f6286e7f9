"""Normalization: parity with Keras for given and adapted statistics (arrays, tensors, lists of
batches, generators, DataLoaders), the streaming formula, invert, weights, errors."""

import types

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.preprocessing import Normalization
from torchkeras.utils.py_dataset import PyDataset

RNG = np.random.default_rng(0)
DATA = (RNG.normal(size=(40, 3, 4)) * [[1.0], [5.0], [0.1]] + 2.0).astype("float32")
AXES = [-1, None, 1, (1, 2), (-2,)]


@pytest.fixture
def keras_adapt(keras, monkeypatch):
    """Keras's `adapt` checks `tf.data.Dataset` before iterating batches; without TensorFlow,
    stand a dummy class in for it."""
    from keras.src.layers.preprocessing import normalization

    monkeypatch.setattr(
        normalization, "tf", types.SimpleNamespace(data=types.SimpleNamespace(Dataset=type("D", (), {})))
    )
    return keras


def _adapted(layer, data):
    layer.adapt(data)
    return layer


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("invert", [False, True])
def test_adapt_array_matches_keras(keras, axis, invert):
    check_layer(
        lambda: _adapted(Normalization(axis=axis, invert=invert), DATA),
        DATA,
        lambda: _adapted(keras.layers.Normalization(axis=axis, invert=invert), DATA),
    )


def test_statistics_per_sample_when_the_batch_axis_is_kept(keras):
    # axis=(0, 2) keeps the batch axis: statistics per (sample, feature), as Keras.
    data = DATA[:5]
    ours, theirs = (
        _adapted(Normalization(axis=(0, 2)), data),
        _adapted(keras.layers.Normalization(axis=(0, 2)), data),
    )
    np.testing.assert_allclose(
        ours(torch.as_tensor(data)).numpy(), np.asarray(theirs(data)), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("axis", [-1, None, (1, 2)])
def test_adapt_tensor_and_float64_match_keras(keras, axis):
    for data in (torch.as_tensor(DATA), DATA.astype("float64")):
        ours = _adapted(Normalization(axis=axis), data)
        theirs = _adapted(keras.layers.Normalization(axis=axis), data)
        for a, b in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def _streamed_reference(batches, axis):
    """Textbook pairwise merge of (count, mean, M2) over the batches, in float64."""
    count, mean, m2 = 0, 0.0, 0.0
    for batch in batches:
        batch = np.asarray(batch, "float64")
        n = batch.size // batch.shape[axis] if axis is not None else batch.size
        reduce = tuple(a for a in range(batch.ndim) if a != axis % batch.ndim) if axis is not None else None
        b_mean, b_m2 = batch.mean(axis=reduce), batch.var(axis=reduce) * n
        delta = b_mean - mean
        mean = mean + delta * n / (count + n)
        m2 = m2 + b_m2 + delta**2 * count * n / (count + n)
        count += n
    return mean, m2 / count


@pytest.mark.parametrize("axis", [-1, None, 1])
def test_adapt_batches_match_keras(keras_adapt, axis):
    batches = [DATA[:16], DATA[16:20], DATA[20:]]
    ours = _adapted(Normalization(axis=axis), batches)
    theirs = _adapted(keras_adapt.layers.Normalization(axis=axis), batches)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    mean, variance = _streamed_reference(batches, axis)
    np.testing.assert_allclose(ours.get_weights()[0], mean, rtol=1e-5)
    np.testing.assert_allclose(ours.get_weights()[1], variance, rtol=1e-5)
    whole = _adapted(Normalization(axis=axis), DATA)  # batching changes only rounding
    np.testing.assert_allclose(ours.get_weights()[1], whole.get_weights()[1], rtol=1e-5)


def test_adapt_generators_dataloaders_pydatasets_and_batch_size(keras_adapt):
    theirs = _adapted(keras_adapt.layers.Normalization(), ((DATA[i : i + 8], 0) for i in range(0, 40, 8)))
    expected = theirs.get_weights()
    dataset = torch.utils.data.TensorDataset(torch.as_tensor(DATA), torch.zeros(40))

    class Batches(PyDataset):
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return DATA[index * 8 : (index + 1) * 8], None

    sources = [
        ((DATA[i : i + 8], 0) for i in range(0, 40, 8)),
        torch.utils.data.DataLoader(dataset, batch_size=8),
        Batches(),
    ]
    for source in sources:
        ours = _adapted(Normalization(), source)
        for a, b in zip(ours.get_weights(), expected):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    layer = Normalization()
    layer.adapt(DATA, batch_size=8)
    np.testing.assert_allclose(layer.get_weights()[0], expected[0], rtol=1e-6)
    layer.adapt([DATA[:8], DATA[8:], DATA[100:]], steps=1)  # later batches are not read
    np.testing.assert_allclose(layer.get_weights()[0], DATA[:8].mean(axis=(0, 1)), rtol=1e-6)


@pytest.mark.parametrize(
    ("axis", "mean", "variance"),
    [
        (-1, 2.0, 3.0),
        (-1, [1.0, 2.0, 3.0, 4.0], [1.0, 4.0, 9.0, 0.0]),
        ((1, 2), [1.0, 2.0, 3.0, 4.0], [2.0] * 4),
    ],
)
@pytest.mark.parametrize("invert", [False, True])
def test_given_statistics_match_keras(keras, axis, mean, variance, invert):
    kwargs = {"axis": axis, "mean": mean, "variance": variance, "invert": invert}
    out = check_layer(lambda: Normalization(**kwargs), DATA, lambda: keras.layers.Normalization(**kwargs))
    if axis == -1 and not invert:
        scale = np.maximum(np.sqrt(np.asarray(variance, "float32")), 1e-7)
        np.testing.assert_allclose(out, (DATA - np.asarray(mean, "float32")) / scale, rtol=1e-5)


def test_weights_and_config_match_keras(keras):
    ours, theirs = _adapted(Normalization(), DATA), _adapted(keras.layers.Normalization(), DATA)
    assert [w.dtype for w in ours.get_weights()] == [w.dtype for w in theirs.get_weights()]
    assert [w.path for w in ours.weights] == [w.path.replace(theirs.name, ours.name) for w in theirs.weights]
    assert not ours.trainable_weights
    for kwargs in ({"axis": (1, 2)}, {"mean": [1.0, 2.0], "variance": [1.0, 2.0], "invert": True}):
        a, b = Normalization(**kwargs).get_config(), keras.layers.Normalization(**kwargs).get_config()
        assert {k: v for k, v in a.items() if k != "name"} == {k: v for k, v in b.items() if k != "name"}
    fixed = Normalization(mean=2.0, variance=3.0)
    fixed(torch.ones(2, 3))
    assert fixed.get_weights() == [] and list(fixed.state_dict()) == []


def test_errors():
    with pytest.raises(ValueError, match="`mean` and `variance` must be set together"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        Normalization(mean=[1.0, 2.0], variance=1.0)
    with pytest.raises(ValueError, match="rank of `mean`"):
        Normalization(axis=-1, mean=[[1.0]], variance=[[1.0]])
    with pytest.raises(ValueError, match="`axis` must be in the range"):
        Normalization(axis=3).build((None, 4))
    with pytest.raises(ValueError, match="known size"):
        Normalization(axis=1).build((None, None))
    layer = _adapted(Normalization(), DATA)
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt(np.zeros((4, 3, 5)))
    with pytest.raises(ValueError, match="incompatible"):
        Normalization().adapt([DATA[:4], np.zeros((4, 3, 5))])
    with pytest.raises(ValueError, match="no data"):
        Normalization().adapt([])
    with pytest.raises(ValueError, match="cannot `adapt"):
        Normalization(mean=1.0, variance=1.0).adapt(DATA)
    with pytest.raises(TypeError, match="adapt"):
        Normalization().adapt(3.0)
