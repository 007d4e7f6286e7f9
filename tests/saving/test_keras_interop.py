"""Real Keras files both ways: Keras-written `.keras` / `.weights.h5` load here, ours load in Keras."""

import warnings

import numpy as np
import pytest

import torchkeras as tk

h5py = pytest.importorskip("h5py")


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _h5_paths(path):
    found = []
    with h5py.File(path, "r") as file:
        file.visititems(
            lambda name, obj: found.append((name, obj.shape)) if isinstance(obj, h5py.Dataset) else None
        )
    return sorted(found)


def _convnet(library):
    inputs = library.Input((8, 8, 3))
    x = library.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = library.layers.BatchNormalization()(x)
    x = library.layers.MaxPooling2D()(x)
    x = library.layers.Flatten()(x)
    x = library.layers.Dropout(0.2)(x)
    outputs = library.layers.Dense(3, activation="softmax")(x)
    return library.Model(inputs, outputs)


def test_keras_trained_model_predicts_the_same_and_trains_on_the_same(keras, tmp_path):
    x = np.random.RandomState(0).rand(16, 8, 8, 3).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(16) % 3]
    keras.utils.set_random_seed(0)
    theirs = _convnet(keras)
    theirs.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy")
    theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    theirs.save(tmp_path / "keras.keras")
    ours = tk.models.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    # the optimizer state came along: one more epoch in each stays together
    theirs.layers[5].rate = ours.layers[5].rate = 0.0  # no dropout randomness to compare
    theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations) == 6
    for mine, keras_layer in zip(ours.layers, theirs.layers):
        for a, b in zip(mine.get_weights(), keras_layer.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_weights_h5_both_ways(keras, tmp_path):
    ours, theirs = _convnet(tk), _convnet(keras)
    x = np.random.RandomState(0).rand(4, 8, 8, 3).astype("float32")
    theirs.save_weights(tmp_path / "keras.weights.h5")
    ours.load_weights(tmp_path / "keras.weights.h5")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    fresh = _convnet(tk)
    fresh.save_weights(tmp_path / "ours.weights.h5")
    assert _h5_paths(tmp_path / "ours.weights.h5") == _h5_paths(tmp_path / "keras.weights.h5")
    theirs.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(
        theirs.predict(x, verbose=0), fresh.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def _tangled(library):
    """Shared layers at several depths and uneven branches: Keras's layer order is not obvious."""
    a, b = library.Input((4,), name="a"), library.Input((4,), name="b")
    shared = library.layers.Dense(4, name="shared")
    left = library.layers.Dense(4, name="left")(shared(a))
    right = shared(library.layers.Dense(4, name="pre")(b))
    deep = library.layers.Dense(4, name="deep")(library.layers.Dense(4, name="deeper")(left))
    merged = library.layers.Add(name="add")([deep, right, shared(left)])
    return library.Model([a, b], [library.layers.Dense(2, name="head")(merged), left])


def test_functional_layer_order_and_weight_paths_match_keras(keras, tmp_path):
    ours, theirs = _tangled(tk), _tangled(keras)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    assert _h5_paths(tmp_path / "ours.weights.h5") == _h5_paths(tmp_path / "theirs.weights.h5")
    ours.save(tmp_path / "ours.keras")
    loaded = _quiet(keras.saving.load_model, tmp_path / "ours.keras")
    data = [np.random.RandomState(i).rand(3, 4).astype("float32") for i in range(2)]
    for got, want in zip(loaded.predict(data, verbose=0), ours.predict(data, verbose=0)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _subclassed(library):
    class Towers(library.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.b = library.layers.Dense(3)
            self.a = library.layers.Dense(2)
            self.blocks = [library.layers.Dense(4), library.layers.Dense(4)]
            self._hidden = library.layers.Dense(5)

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return self.a(self.b(self._hidden(x)))

    model = Towers()
    model(np.ones((2, 3), "float32"))
    return model


def test_subclassed_weight_paths_match_keras(keras, tmp_path):
    _subclassed(tk).save_weights(tmp_path / "ours.weights.h5")
    _subclassed(keras).save_weights(tmp_path / "theirs.weights.h5")
    assert _h5_paths(tmp_path / "ours.weights.h5") == _h5_paths(tmp_path / "theirs.weights.h5")


def test_sequential_both_ways(keras, tmp_path):
    data = np.random.RandomState(0).rand(3, 5, 4).astype("float32")
    ours = tk.Sequential([tk.Input((5, 4)), tk.layers.LSTM(3, return_sequences=True), tk.layers.Dense(2)])
    ours.save(tmp_path / "ours.keras")
    theirs = _quiet(keras.saving.load_model, tmp_path / "ours.keras")
    assert type(theirs).__name__ == "Sequential"
    np.testing.assert_allclose(
        theirs.predict(data, verbose=0), ours.predict(data, verbose=0), rtol=1e-5, atol=1e-6
    )
    keras_model = keras.Sequential([keras.layers.GRU(3), keras.layers.Dense(2)])
    keras_model.build((None, 5, 4))
    keras_model.save(tmp_path / "theirs.keras")
    loaded = tk.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(
        loaded.predict(data, verbose=0), keras_model.predict(data, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_graph_operations_both_ways(keras, tmp_path):
    data = np.random.RandomState(0).rand(3, 4).astype("float32")
    x = tk.Input((4,))
    h = tk.layers.Dense(4)(x)
    y = tk.layers.Dense(3)(2.0 - h * 3.0 + h[:, :1] / 2.0 - (-h))
    ours = tk.Model(x, y)
    ours.save(tmp_path / "ours.keras")
    theirs = _quiet(keras.saving.load_model, tmp_path / "ours.keras")
    np.testing.assert_allclose(
        theirs.predict(data, verbose=0), ours.predict(data, verbose=0), rtol=1e-5, atol=1e-6
    )
    i = keras.Input((4,))
    k = keras.layers.Dense(4)(i)
    out = keras.ops.concatenate([k * 2.0, keras.ops.sum(k, axis=-1, keepdims=True), k[:, 1:3] + 1.0], axis=-1)
    keras_model = keras.Model(i, keras.ops.mean(keras.ops.expand_dims(out, 1), axis=1))
    keras_model.save(tmp_path / "theirs.keras")
    loaded = tk.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(
        loaded.predict(data, verbose=0), keras_model.predict(data, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_torch_only_operations_are_saved_for_torchkeras(keras, tmp_path):
    x = tk.Input((4,))
    ours = tk.Model(x, tk.layers.Dense(2)(x.reshape(-1, 2, 2).flatten(1).tanh()))
    ours.save(tmp_path / "ours.keras")
    data = np.random.RandomState(0).rand(3, 4).astype("float32")
    np.testing.assert_allclose(tk.models.load_model(tmp_path / "ours.keras").predict(data, verbose=0),
                               ours.predict(data, verbose=0))  # fmt: skip
    with pytest.raises((TypeError, ValueError)):
        _quiet(keras.saving.load_model, tmp_path / "ours.keras")
