"""A keras-io style script, written only with Keras names, trains end to end (issue 11's "done
when"): text through `TextVectorization`, a category through `StringLookup`, an image cut into
patches with `ops.image.extract_patches`, and a custom augmentation layer drawing its noise from a
`keras.random.SeedGenerator`. It learns, predicts, saves and reloads to the same predictions."""

import numpy as np

import torchkeras as keras


@keras.saving.register_keras_serializable(package="keras_io_script")
class PatchNoise(keras.layers.Layer):
    """Adds Gaussian noise while training, from the layer's own seed generator."""

    def __init__(self, stddev: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        noise = keras.random.normal(keras.ops.shape(inputs), stddev=self.stddev, seed=self.seed_generator)
        return inputs + noise

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


def _data(n: int = 96):
    rng = np.random.default_rng(0)
    label = rng.integers(0, 2, size=n)
    good = ["great fun", "loved it", "a good film", "great story"]
    bad = ["dull plot", "hated it", "a bad film", "boring story"]
    text = np.array([(good if y else bad)[rng.integers(0, 4)] for y in label])
    colour = np.array([("red" if y else "blue") if rng.random() < 0.8 else "green" for y in label])
    image = rng.normal(size=(n, 8, 8, 1)).astype("float32") + label[:, None, None, None].astype("float32")
    return {"text": text, "colour": colour, "image": image}, label.astype("float32")


def _model(x):
    vectorize = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=3)
    vectorize.adapt(x["text"])
    lookup = keras.layers.StringLookup(output_mode="one_hot")
    lookup.adapt(x["colour"])

    text = keras.Input(shape=(), dtype="string", name="text")
    colour = keras.Input(shape=(1,), dtype="string", name="colour")
    image = keras.Input(shape=(8, 8, 1), name="image")

    words = keras.layers.Embedding(20, 4)(vectorize(text))
    words = keras.layers.GlobalAveragePooling1D()(words)
    colours = keras.layers.Flatten()(lookup(colour))
    patches = keras.ops.image.extract_patches(image, size=(4, 4))  # (batch, 2, 2, 16)
    patches = PatchNoise(0.1, seed=3)(keras.layers.Reshape((4, 16))(patches))
    patches = keras.layers.GlobalAveragePooling1D()(keras.layers.Dense(8, activation="relu")(patches))
    merged = keras.layers.Concatenate()([words, colours, patches])
    outputs = keras.layers.Dense(1, activation="sigmoid")(merged)
    return keras.Model({"text": text, "colour": colour, "image": image}, outputs)


def test_keras_io_style_script_trains_predicts_and_reloads(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = _data()
    model = _model(x)
    model.compile(optimizer=keras.optimizers.Adam(0.03), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=12, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert history.history["accuracy"][-1] >= 0.9

    expected = model.predict(x, verbose=0)
    assert expected.shape == (96, 1)
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)  # no noise at inference

    model.save(tmp_path / "script.keras")
    loaded = keras.models.load_model(tmp_path / "script.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_seed_generator_makes_the_script_reproducible():
    results = []
    for _ in range(2):
        keras.utils.set_random_seed(7)
        x, y = _data(48)
        model = _model(x)
        model.compile(optimizer="adam", loss="binary_crossentropy")
        results.append(model.fit(x, y, epochs=2, batch_size=16, verbose=0).history["loss"])
    assert results[0] == results[1]
