"""Pipeline: layers applied in order with `training` and masks passed on, Keras parity, config and
save/load round trips (Keras reads our file and we read Keras's)."""

import numpy as np
import pytest
import torch

import torchkeras as tk
from tests.layer_checks import check_layer
from torchkeras.layers import CenterCrop, Dense, Dropout, Masking, Pipeline, Rescaling

IMAGES = np.random.default_rng(0).random((2, 6, 6, 3)).astype("float32")


def test_applies_layers_in_order_like_keras(keras):
    out = check_layer(
        lambda: Pipeline([Rescaling(2.0, offset=-1.0), CenterCrop(4, 4)]),
        IMAGES,
        lambda: keras.layers.Pipeline(
            [keras.layers.Rescaling(2.0, offset=-1.0), keras.layers.CenterCrop(4, 4)]
        ),
    )
    np.testing.assert_allclose(out, IMAGES[:, 1:5, 1:5] * 2.0 - 1.0, rtol=1e-6)


def test_training_and_masks_are_passed_on():
    x = torch.ones(64, 32)
    pipeline = Pipeline([Dropout(0.5, seed=1), Rescaling(1.0)])
    assert torch.equal(pipeline(x), x)
    assert (pipeline(x, training=True) == 0).any()
    sequences = torch.tensor([[[1.0], [0.0], [2.0]]])
    masked = Pipeline([Masking(0.0), Rescaling(3.0)])(sequences)
    np.testing.assert_array_equal(masked._keras_mask.numpy(), [[True, False, True]])


def test_layers_are_tracked_and_trained():
    pipeline = Pipeline([Dense(3), Dense(2)])
    pipeline(torch.zeros(1, 4))
    assert pipeline.layers[0].name.startswith("dense") and len(pipeline.layers) == 2
    assert len(pipeline.trainable_weights) == 4


def test_config_round_trip_and_keras_config(keras):
    pipeline = Pipeline([Rescaling(0.5), CenterCrop(2, 3)], name="prep")
    config = pipeline.get_config()
    theirs = keras.layers.Pipeline([keras.layers.Rescaling(0.5), keras.layers.CenterCrop(2, 3)], name="prep")
    assert set(config) == set(theirs.get_config()) == {"layers", "name"}
    assert [c["class_name"] for c in config["layers"]] == ["Rescaling", "CenterCrop"]
    clone = Pipeline.from_config(config)
    assert [type(layer) for layer in clone.layers] == [Rescaling, CenterCrop]
    assert keras.layers.Pipeline.from_config(config).layers[1].height == 2


@pytest.mark.parametrize("fmt", ["keras", "safetensors"])
def test_model_with_weighted_pipeline_saves_and_loads(tmp_path, fmt):
    if fmt == "keras":
        pytest.importorskip("h5py")
    inputs = tk.Input((4,))
    model = tk.Model(inputs, Pipeline([Dense(3), Dense(2)])(inputs))
    x = np.random.default_rng(1).random((5, 4)).astype("float32")
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / f"m.{fmt}")
    np.testing.assert_allclose(tk.models.load_model(tmp_path / f"m.{fmt}").predict(x, verbose=0), expected)


def test_errors():
    with pytest.raises(ValueError, match="`layers` must be a list of layers"):
        Pipeline(Rescaling(1.0))
    with pytest.raises(ValueError, match="`layers` must be a list of layers"):
        Pipeline([lambda x: x])
    with pytest.raises(ValueError, match="must hold `layers`"):
        Pipeline.from_config({"name": "p"})
