"""Nested layer configs: Keras's schema, build configs, registry-only resolution."""

import pytest

from tests.layers.rnn.rnn_checks import sequences
from torchkeras.layers.core.dense import Dense
from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn import LSTM
from torchkeras.layers.rnn.layer_serialization import deserialize_layer, serialize_layer


def test_builtin_round_trip(keras):
    layer = LSTM(3, return_sequences=True)
    config = serialize_layer(layer)
    assert (config["module"], config["class_name"], config["registered_name"]) == (
        "keras.layers",
        "LSTM",
        None,
    )
    assert "build_config" not in config
    assert set(config) == set(keras.saving.serialize_keras_object(keras.layers.LSTM(3)))
    layer(sequences())
    config = serialize_layer(layer)
    clone = deserialize_layer(config)
    assert clone.built and type(clone) is LSTM and serialize_layer(clone) == config


def test_custom_objects_and_unknown_classes():
    class Doubler(Layer):
        def call(self, inputs):
            return inputs * 2

    config = serialize_layer(Doubler(name="d"))
    assert config["module"] == __name__ and config["registered_name"] == "Doubler"
    with pytest.raises(ValueError, match="Unknown layer: 'Doubler'"):
        deserialize_layer(config)
    assert isinstance(deserialize_layer(config, custom_objects={"Doubler": Doubler}), Doubler)
    with pytest.raises(ValueError, match="must be a dict with a 'class_name'"):
        deserialize_layer({"config": {}})
    assert isinstance(deserialize_layer({"class_name": "Dense", "config": {"units": 2}}), Dense)
