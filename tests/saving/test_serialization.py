"""Object <-> config in Keras 3's schema; names resolve only through the allowlist."""

import json

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras import saving
from torchkeras.saving import serialization
from torchkeras.utils.registry import _CUSTOM

SCHEMA = {"module", "class_name", "config", "registered_name"}


def _objects(library):
    return [
        library.optimizers.Adam(learning_rate=0.01, beta_1=0.8),
        library.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5),
        library.initializers.HeNormal(seed=3),
        library.regularizers.L1L2(l1=0.01, l2=0.02),
        library.constraints.MaxNorm(max_value=2.0),
        library.losses.MeanSquaredError(),
        library.metrics.MeanAbsoluteError(),
    ]


def test_builtin_objects_serialize_like_keras(keras):
    for ours, theirs in zip(_objects(tk), _objects(keras)):
        mine = saving.serialize_keras_object(ours)
        expected = keras.saving.serialize_keras_object(theirs)
        assert set(mine) == SCHEMA
        assert (mine["module"], mine["class_name"], mine["registered_name"]) == (
            expected["module"].replace("keras.src.backend.torch.optimizers.torch_adam", "keras.optimizers"),
            expected["class_name"],
            None,
        )
        assert mine["config"].keys() == expected["config"].keys()
        rebuilt = saving.deserialize_keras_object(json.loads(json.dumps(mine)))
        assert type(rebuilt) is type(ours)
        assert saving.serialize_keras_object(rebuilt) == mine
        # and Keras rebuilds our config too
        assert type(keras.saving.deserialize_keras_object(json.loads(json.dumps(mine)))) is type(theirs)


def test_functions_and_plain_values():
    relu = saving.serialize_keras_object(tk.activations.relu)
    assert relu == {
        "module": "keras.activations",
        "class_name": "function",
        "config": "relu",
        "registered_name": "relu",
    }
    assert saving.deserialize_keras_object(relu) is tk.activations.relu
    mse = saving.serialize_keras_object(tk.losses.mean_squared_error)
    assert saving.deserialize_keras_object(mse) is tk.losses.mean_squared_error
    values = [1, 2.5, "x", None, [1, {"a": (2, 3)}], slice(1, None, 2), Ellipsis, b"raw", np.arange(3.0)]
    restored = saving.deserialize_keras_object(json.loads(json.dumps(saving.serialize_keras_object(values))))
    assert restored[:4] == [1, 2.5, "x", None] and restored[4] == [1, {"a": [2, 3]}]
    assert restored[5] == slice(1, None, 2) and restored[6] is Ellipsis and restored[7] == b"raw"
    np.testing.assert_array_equal(restored[8], np.arange(3.0))
    tensor = saving.deserialize_keras_object(
        saving.serialize_keras_object(torch.tensor([[1, 2]], dtype=torch.int16))
    )
    assert tensor.dtype == torch.int16 and tensor.tolist() == [[1, 2]]


def test_layer_schema_build_config_and_round_trip():
    layer = tk.layers.Dense(3, activation="relu", kernel_regularizer="l2", name="head")
    layer.build((None, 4))
    config = saving.serialize_keras_object(layer)
    assert config["module"] == "keras.layers" and config["class_name"] == "Dense"
    assert config["registered_name"] is None and config["build_config"] == {"input_shape": [None, 4]}
    clone = saving.deserialize_keras_object(json.loads(json.dumps(config)))
    assert clone.built and clone.get_config() == layer.get_config()
    assert [w.shape for w in clone.weights] == [w.shape for w in layer.weights]


def test_custom_objects_registration_and_scopes():
    class Scale(tk.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    config = saving.serialize_keras_object(Scale(3.0))
    assert config["class_name"] == "Scale" and config["registered_name"] == "Scale"
    with pytest.raises(ValueError, match="Unknown class 'Scale'.*custom_objects"):
        saving.deserialize_keras_object(config)
    assert saving.deserialize_keras_object(config, custom_objects={"Scale": Scale}).factor == 3.0
    with saving.CustomObjectScope({"Scale": Scale}):
        assert saving.deserialize_keras_object(config).factor == 3.0
    with saving.custom_object_scope({"Scale": Scale}):
        assert saving.get_registered_object("Scale") is Scale
    try:
        registered = saving.register_keras_serializable(package="Tests")(Scale)
        assert saving.get_registered_name(registered) == "Tests>Scale"
        assert saving.get_custom_objects()["Tests>Scale"] is Scale
        config = saving.serialize_keras_object(Scale(4.0))
        assert config["registered_name"] == "Tests>Scale"
        assert saving.deserialize_keras_object(config).factor == 4.0
    finally:
        _CUSTOM.pop("Tests>Scale", None)


def test_names_never_reach_an_import():
    for module, name in [
        ("os", "system"),
        ("builtins", "eval"),
        ("subprocess", "Popen"),
        ("torch", "load"),
        ("numpy", "load"),
        ("keras.src.utils", "get_file"),
        ("pickle", "loads"),
    ]:
        with pytest.raises(ValueError, match="Unknown"):
            saving.deserialize_keras_object({"module": module, "class_name": "function", "config": name})
        with pytest.raises(ValueError, match="Unknown class"):
            saving.deserialize_keras_object({"module": module, "class_name": name, "config": {}})
    with pytest.raises(ValueError, match="not a class"):
        saving.deserialize_keras_object({"module": "keras.layers", "class_name": "relu", "config": {}})


@pytest.mark.parametrize("safe_mode", [True, False])
def test_serialized_code_is_refused_whatever_safe_mode(safe_mode):
    config = {"class_name": "__lambda__", "config": {"value": ["YmFk", None, None]}}
    with pytest.raises(ValueError, match="never loads code"):
        saving.deserialize_keras_object(config, safe_mode=safe_mode)
    with pytest.raises(ValueError, match="lambda"):
        saving.serialize_keras_object(lambda x: x)


def test_limits():
    deep = current = {}
    for _ in range(serialization.MAX_CONFIG_DEPTH + 5):
        current["a"] = {}
        current = current["a"]
    with pytest.raises(ValueError, match="nested deeper"):
        saving.deserialize_keras_object(deep)
    text = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ValueError, match="nested deeper"):
        serialization.parse_config_json(text)
    with pytest.raises(ValueError, match="over the limit"):
        serialization.parse_config_json(" " * (serialization.MAX_CONFIG_BYTES + 1))
    with pytest.raises(ValueError, match="not valid JSON"):
        serialization.parse_config_json('{"a": ')
    assert serialization.parse_config_json('{"a": "[[[[", "b": NaN}')["a"] == "[[[["


@pytest.mark.parametrize("name", ["../evil", "a/b", "a\\b", ".", "..", "x..y", "bad\x00", "", 3])
def test_layer_names_with_path_syntax_are_refused(name):
    with pytest.raises(ValueError, match="name"):
        serialization.check_layer_name(name)
    config = {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2, "name": name}}
    with pytest.raises(ValueError):
        saving.deserialize_keras_object(config)


def test_lambda_saves_only_registered_functions(tmp_path):
    def double(x):
        return x * 2

    x = tk.Input((3,))
    model = tk.Model(x, tk.layers.Lambda(double)(x))
    with pytest.raises(ValueError, match="never saves code"):
        model.save(tmp_path / "m.keras")
    try:
        saving.register_keras_serializable(package="Tests")(double)
        model.save(tmp_path / "m.keras")
        loaded = tk.models.load_model(tmp_path / "m.keras")
        np.testing.assert_allclose(loaded.predict(np.ones((2, 3)), verbose=0), 2 * np.ones((2, 3)))
    finally:
        _CUSTOM.pop("Tests>double", None)
    with pytest.raises(ValueError, match="unknown function"):
        tk.models.load_model(tmp_path / "m.keras")


def test_model_from_json_and_to_json():
    x = tk.Input((4,), name="features")
    model = tk.Model(x, tk.layers.Dense(2, name="out")(tk.layers.Dense(3)(x)))
    rebuilt = tk.models.model_from_json(model.to_json())
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    data = np.random.rand(2, 4).astype("float32")
    np.testing.assert_allclose(rebuilt.predict(data, verbose=0), model.predict(data, verbose=0))
