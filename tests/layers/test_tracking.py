"""Sublayers in lists, tuples and dicts are tracked as Keras tracks them: weights, parameters(),
state_dict(), summary, .to(), training and saved files see them, in Keras's weight order."""

import warnings

import numpy as np
import pytest
import torch

import torchkeras as tk


def _containers(library, base):
    """A layer (or model) holding sublayers in every container pattern Keras tracks."""

    class Containers(base):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = library.layers.Dense(2, name="first")
            self.blocks = []  # filled after another attribute: Keras lists it after `middle`
            self.middle = library.layers.Dense(3, name="middle")
            self.blocks.append(library.layers.Dense(4, name="block"))
            self.by_key = {
                "y": library.layers.Dense(5, name="dict_y"),
                "x": library.layers.Dense(3, name="dict_x"),
            }
            self.mixed = [
                library.layers.Dense(2, name="mixed"),
                3,
                "text",
                (library.layers.Dense(2, name="in_tuple"),),
            ]
            self.nested = [
                [library.layers.Dense(2, name="nested")],
                {"k": [library.layers.Dense(2, name="deep")]},
            ]

        def call(self, x):
            parts = [
                self.first(x),
                self.middle(x),
                self.blocks[0](x),
                self.by_key["y"](x),
                self.by_key["x"](x),
            ]
            parts += [self.mixed[0](x), self.mixed[3][0](x), self.nested[0][0](x), self.nested[1]["k"][0](x)]
            return library.ops.concatenate(parts, axis=-1)

    return Containers


def _built(library, base=None):
    cls = _containers(library, base or library.layers.Layer)
    layer = cls()
    layer(np.zeros((2, 3), "float32"))
    return layer


def _layer_and_weight(path):
    return "/".join(path.split("/")[-2:])  # Keras prefixes the outer layer's name


def test_weights_count_and_order_match_keras(keras):
    ours, theirs = _built(tk), _built(keras)
    assert [_layer_and_weight(w.path) for w in ours.weights] == [
        _layer_and_weight(w.path) for w in theirs.weights
    ]
    assert len(ours.trainable_weights) == len(theirs.trainable_weights) == 18
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs._layers]
    ours.set_weights(theirs.get_weights())
    data = np.random.default_rng(0).random((4, 3), dtype="float32")
    np.testing.assert_allclose(
        ours(torch.as_tensor(data)).detach().numpy(),
        keras.ops.convert_to_numpy(theirs(data)),
        rtol=1e-5,
        atol=1e-6,
    )


def test_torch_sees_every_tracked_layer():
    layer = _built(tk)
    assert len(list(layer.parameters())) == 18
    keys = list(layer.state_dict())
    assert "blocks.0.kernel" in keys and "by_key.y.kernel" in keys and "mixed.3.0.kernel" in keys
    assert "nested.1.k.0.kernel" in keys and len(keys) == 18
    layer.to(torch.float64)
    assert all(w.dtype == torch.float64 for w in layer.weights)
    assert (
        isinstance(layer.mixed, list)
        and layer.mixed[1:3] == [3, "text"]
        and isinstance(layer.mixed[3], tuple)
    )
    assert isinstance(layer.by_key, dict) and list(layer.by_key) == ["y", "x"]


def test_mutations_are_tracked():
    layer = _built(tk)
    layer.blocks.insert(0, tk.layers.Dense(1, name="inserted"))
    layer.blocks[0].build((None, 3))
    layer.by_key["z"] = tk.layers.Dense(1, name="added")
    layer.by_key["z"].build((None, 3))
    assert "blocks.0.kernel" in layer.state_dict() and "by_key.z.kernel" in layer.state_dict()
    assert layer.blocks[1].name == "block" and "blocks.1.kernel" in layer.state_dict()
    del layer.by_key["z"]
    layer.blocks.pop(0)
    assert len(layer.weights) == 18 and "by_key.z.kernel" not in layer.state_dict()
    layer.blocks = []  # a tracked attribute may be replaced by a new container
    assert len(layer.weights) == 16


def test_model_trains_appended_blocks_and_frozen_flag_reaches_them():
    model = _built(tk, tk.Model)
    model.compile(optimizer="sgd", loss="mse")
    before = [w.detach().clone() for w in model.weights]
    rng = np.random.default_rng(0)
    model.fit(rng.random((8, 3), dtype="float32"), rng.random((8, 25), dtype="float32"), epochs=1, verbose=0)
    assert all(not torch.equal(a, b) for a, b in zip(before, model.weights) if a.ndim == 2)
    model.trainable = False
    assert model.trainable_weights == [] and not model.nested[1]["k"][0].trainable


def test_summary_counts_contained_layers(keras):
    ours, theirs = _built(tk, tk.Model), _built(keras, keras.Model)
    lines = []
    ours.summary(print_fn=lines.append)
    assert f"{theirs.count_params():,}" in "\n".join(lines)
    assert ours.count_params() == theirs.count_params()


def test_private_empty_containers_stay_plain():
    layer = tk.layers.Layer()
    layer._cache = []
    layer.sizes = [1, 2]
    assert type(layer._cache) is list and type(layer.sizes) is list and not list(layer.children())


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@pytest.mark.parametrize("suffix", [".keras", ".safetensors"])
def test_save_and_load_round_trip(tmp_path, suffix):
    cls = tk.saving.register_keras_serializable(package="TrackingTests")(_containers(tk, tk.Model))
    model = cls()
    data = np.random.default_rng(1).random((4, 3), dtype="float32")
    expected = model.predict(data, verbose=0)
    model.save(tmp_path / f"model{suffix}")
    loaded = tk.saving.load_model(tmp_path / f"model{suffix}")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), expected, rtol=1e-6)
    assert len(loaded.weights) == 18


def test_keras_files_both_ways(keras, tmp_path):
    pytest.importorskip("h5py")
    ours = tk.saving.register_keras_serializable(package="TrackingTests")(_containers(tk, tk.Model))()
    theirs = keras.saving.register_keras_serializable(package="TrackingTests")(
        _containers(keras, keras.Model)
    )()
    data = np.random.default_rng(2).random((4, 3), dtype="float32")
    ours(data), theirs(data)
    theirs.save(tmp_path / "theirs.keras")
    from_keras = _quiet(tk.saving.load_model, tmp_path / "theirs.keras")
    np.testing.assert_allclose(
        from_keras.predict(data, verbose=0), theirs.predict(data, verbose=0), rtol=1e-5, atol=1e-6
    )
    ours.save(tmp_path / "ours.keras")
    from_ours = _quiet(keras.saving.load_model, tmp_path / "ours.keras")
    np.testing.assert_allclose(
        from_ours.predict(data, verbose=0), ours.predict(data, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_tuples_of_layers_are_tracked_after_torch_dynamo_is_imported():
    # torch._dynamo wraps Module.__init__ to keep a weak reference to each new module; a tracked
    # tuple (a tuple subclass) cannot be weakly referenced and used to fail to build.
    import torch._dynamo  # noqa: F401

    class Pair(tk.layers.Layer):
        def __init__(self):
            super().__init__()
            self.pair = (tk.layers.Dense(2), tk.layers.Dense(3))

        def call(self, x):
            return self.pair[1](self.pair[0](x))

    layer = Pair()
    layer(np.ones((1, 4), "float32"))
    assert len(layer.weights) == 4 and len(list(layer.parameters())) == 4
