"""`keras.layers.serialize` / `deserialize`: Keras's schema both ways, models included, and
only layers come back."""

import numpy as np
import pytest

import torchkeras as tk


def test_serialize_matches_keras_schema(keras):
    ours = tk.layers.serialize(tk.layers.Dense(3, activation="relu", name="d"))
    theirs = keras.layers.serialize(keras.layers.Dense(3, activation="relu", name="d"))
    assert set(ours) == set(theirs)
    assert (ours["module"], ours["class_name"]) == (theirs["module"], theirs["class_name"])
    assert set(ours["config"]) == set(theirs["config"])


def test_deserialize_keras_layers_and_models(keras):
    layer = tk.layers.deserialize(keras.layers.serialize(keras.layers.Conv2D(4, 3, name="c")))
    assert isinstance(layer, tk.layers.Conv2D) and layer.filters == 4
    model = tk.layers.deserialize(
        keras.layers.serialize(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))
    )
    assert isinstance(model, tk.Sequential)
    assert model.predict(np.ones((1, 3), "float32"), verbose=0).shape == (1, 2)


def test_round_trip_and_refusals():
    layer = tk.layers.Bidirectional(tk.layers.LSTM(2))
    clone = tk.layers.deserialize(tk.layers.serialize(layer))
    assert clone.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="Unknown layer"):
        tk.layers.deserialize({"class_name": "MeanSquaredError", "config": {}})
    with pytest.raises(ValueError, match="Unknown layer"):
        tk.layers.deserialize({"class_name": "os.system", "config": {}})
