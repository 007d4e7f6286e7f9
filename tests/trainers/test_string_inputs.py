"""Text flows into models as NumPy string arrays: `fit`/`evaluate`/`predict` on a functional model
and a Sequential whose input is `dtype="string"`, and the vocabulary saved in both file formats
(and read from a file Keras wrote)."""

import os

import numpy as np
import pytest

import torchkeras as keras

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "layers", "preprocessing", "reference")


def _data():
    rng = np.random.default_rng(0)
    words = np.array(["cat", "dog", "bird", "fish"])
    x = words[rng.integers(0, 4, size=48)]
    return x, (x == "cat").astype("float32")


def _functional(x):
    lookup = keras.layers.StringLookup()
    lookup.adapt(x)
    inputs = keras.Input(shape=(1,), dtype="string")
    hidden = keras.layers.Embedding(lookup.vocabulary_size(), 4)(lookup(inputs))
    outputs = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(hidden))
    return keras.Model(inputs, outputs)


def test_fit_evaluate_predict_on_string_arrays_and_save_both_formats(tmp_path):
    pytest.importorskip("h5py")
    x, y = _data()
    model = _functional(x)
    assert model.inputs[0].dtype == "string"
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=16, shuffle=True, verbose=0, validation_split=0.25)
    assert len(history.history["loss"]) == 2
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert np.isfinite(loss) and 0 <= accuracy <= 1
    expected = model.predict(x[:6], verbose=0)  # (6,) strings for a (None, 1) input: a trailing axis is added
    assert expected.shape == (6, 1)
    for suffix in ("keras", "safetensors"):
        model.save(tmp_path / f"m.{suffix}")
        loaded = keras.models.load_model(tmp_path / f"m.{suffix}")
        assert loaded.layers[1].get_vocabulary() == model.layers[1].get_vocabulary()
        np.testing.assert_allclose(loaded.predict(x[:6, None], verbose=0), expected, rtol=1e-6)


def test_sequential_text_model_trains():
    vectorize = keras.layers.TextVectorization(output_mode="multi_hot", max_tokens=8)
    vectorize.adapt(["good movie", "bad movie", "good fun", "bad plot"])
    model = keras.Sequential([keras.Input(shape=(), dtype="string"), vectorize, keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    texts = np.array(["good movie", "bad plot", "good fun", "bad movie"])
    model.fit(texts, np.array([1.0, 0.0, 1.0, 0.0]), epochs=1, verbose=0)
    assert model.predict(texts, verbose=0).shape == (4, 1)


def test_tf_idf_weights_and_vocabulary_survive_save_and_load(tmp_path):
    pytest.importorskip("h5py")
    vectorize = keras.layers.TextVectorization(output_mode="tf_idf", ngrams=2)
    vectorize.adapt(["a b c", "a a", "c d"])
    model = keras.Sequential([keras.Input(shape=(1,), dtype="string"), vectorize])
    texts = np.array([["a d"], ["x c"]])
    expected = model.predict(texts, verbose=0)
    for suffix in ("keras", "safetensors"):
        model.save(tmp_path / f"tv.{suffix}")
        np.testing.assert_allclose(
            keras.models.load_model(tmp_path / f"tv.{suffix}").predict(texts, verbose=0), expected
        )


def test_loads_a_string_lookup_file_keras_wrote():
    pytest.importorskip("h5py")
    # Keras 3.15.1 (TensorFlow backend): StringLookup(output_mode="tf_idf") adapted on a, b, a, c;
    # the vocabulary is an asset, the IDF weights are `vars/idf_weights`.
    model = keras.models.load_model(os.path.join(REFERENCE, "keras_string_lookup_tf_idf.keras"))
    lookup = model.layers[1]
    assert lookup.get_vocabulary() == ["[UNK]", "a", "c", "b"]
    out = model.predict(np.array([["a"], ["c"], ["q"]]), verbose=0)[0]  # the model has two outputs
    np.testing.assert_allclose(
        out[0], [0.0, np.log(1 + 4 / 3), 0.0, 0.0], rtol=1e-6
    )  # idf = log(1 + N / (1 + df))
    np.testing.assert_allclose(out[2][0], np.mean([np.log(1 + 4 / 3), np.log(3), np.log(3)]), rtol=1e-6)


def test_a_hostile_asset_name_is_refused(tmp_path):
    import zipfile

    source = os.path.join(REFERENCE, "keras_string_lookup_tf_idf.keras")
    target = tmp_path / "evil.keras"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            name = (
                info.filename.replace("assets/layers/", "assets/../")
                if info.filename.startswith("assets/")
                else info.filename
            )
            new.writestr(name, old.read(info))
    with pytest.raises(ValueError, match="asset member name"):
        keras.models.load_model(target)
