"""Resuming is exact for layers with their own seeded randomness: a fit interrupted and resumed
(BackupAndRestore, or save/load and fit on) ends with the weights of an uninterrupted one."""

import numpy as np
import pytest

import torchkeras as tk
from tests.interrupts import CrashAfter
from torchkeras.callbacks.backup_and_restore import BackupAndRestore

L = tk.layers
RNG = np.random.RandomState(0)
SEQUENCES = RNG.rand(16, 5, 3).astype("float32")
IMAGES = (RNG.rand(16, 8, 8, 3) * 255).astype("float32")
TARGETS = RNG.rand(16, 2).astype("float32")


@tk.saving.register_keras_serializable(package="test_resume_seeded")
class SeedGeneratorNoise(L.Layer):
    """A custom layer drawing from a `keras.random.SeedGenerator`, as Keras layers do."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = tk.random.SeedGenerator(11)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return inputs + tk.random.normal(tuple(inputs.shape), stddev=0.3, seed=self.seed_generator)


@tk.saving.register_keras_serializable(package="test_resume_seeded")
class GlobalSeedNoise(L.Layer):
    """A custom layer drawing with `seed=None`: from the global `SeedGenerator`."""

    def call(self, inputs, training=False):
        return inputs + tk.random.normal(tuple(inputs.shape), stddev=0.3) if training else inputs


def _dense_head(*middle):
    return [*middle, L.Flatten(), L.Dense(2)]


def _images(*middle):
    return [L.Input((8, 8, 3)), L.Rescaling(1 / 255.0), *middle, L.Conv2D(2, 3), L.Flatten(), L.Dense(2)]


def _images_raw(*middle):  # augmentations that expect the [0, 255] range
    return [L.Input((8, 8, 3)), *middle, L.Rescaling(1 / 255.0), L.Conv2D(2, 3), L.Flatten(), L.Dense(2)]


CASES = {
    "dropout": lambda: [L.Input((5, 3)), L.Dense(6), L.Dropout(0.4, seed=1), *_dense_head()],
    "dropout_noise_shape": lambda: [
        L.Input((5, 3)),
        L.Dense(6),
        L.Dropout(0.4, noise_shape=(None, 1, 6), seed=1),
        *_dense_head(),
    ],
    "spatial_dropout1d": lambda: [
        L.Input((5, 3)),
        L.Dense(6),
        L.SpatialDropout1D(0.4, seed=1),
        *_dense_head(),
    ],
    "spatial_dropout2d": lambda: _images(L.SpatialDropout2D(0.4, seed=1)),
    "gaussian_noise": lambda: [L.Input((5, 3)), L.Dense(6), L.GaussianNoise(0.3, seed=1), *_dense_head()],
    "gaussian_dropout": lambda: [L.Input((5, 3)), L.Dense(6), L.GaussianDropout(0.3, seed=1), *_dense_head()],
    "alpha_dropout": lambda: [
        L.Input((5, 3)),
        L.Dense(6, "selu"),
        L.AlphaDropout(0.3, seed=1),
        *_dense_head(),
    ],
    "simple_rnn": lambda: [
        L.Input((5, 3)),
        L.SimpleRNN(4, dropout=0.3, recurrent_dropout=0.3, seed=1),
        L.Dense(2),
    ],
    "lstm": lambda: [L.Input((5, 3)), L.LSTM(4, dropout=0.3, recurrent_dropout=0.3, seed=1), L.Dense(2)],
    "gru": lambda: [L.Input((5, 3)), L.GRU(4, dropout=0.3, recurrent_dropout=0.3, seed=1), L.Dense(2)],
    "bidirectional_lstm": lambda: [
        L.Input((5, 3)),
        L.Bidirectional(L.LSTM(4, dropout=0.3, recurrent_dropout=0.3, seed=1)),
        L.Dense(2),
    ],
    "conv_lstm1d": lambda: [
        L.Input((5, 4, 3)),
        L.ConvLSTM1D(2, 3, dropout=0.3, recurrent_dropout=0.3, seed=1),
        *_dense_head(),
    ],
    "multi_head_attention": None,  # built below (two inputs)
    "random_flip": lambda: _images(L.RandomFlip(seed=1)),
    "random_rotation": lambda: _images(L.RandomRotation(0.2, seed=1)),
    "random_translation": lambda: _images(L.RandomTranslation(0.2, 0.2, seed=1)),
    "random_zoom": lambda: _images(L.RandomZoom(0.2, seed=1)),
    "random_contrast": lambda: _images_raw(L.RandomContrast(0.5, seed=1)),
    "random_brightness": lambda: _images_raw(L.RandomBrightness(0.3, seed=1)),
    "random_crop": lambda: _images(L.RandomCrop(6, 6, seed=1)),
    "mix_up": lambda: _images_raw(L.MixUp(seed=1)),
    "aug_mix": lambda: _images_raw(L.AugMix(num_chains=2, chain_depth=2, seed=1)),
    "seed_generator": lambda: [L.Input((5, 3)), L.Dense(6), SeedGeneratorNoise(), *_dense_head()],
}


def _model(case):
    tk.config.set_random_seed(3)
    if case == "multi_head_attention":
        inputs = tk.Input((5, 3))
        attended = L.MultiHeadAttention(2, 4, dropout=0.4, seed=1)(inputs, inputs)
        model = tk.Model(inputs, L.Dense(2)(L.Flatten()(attended)))
    else:
        model = tk.Sequential(CASES[case]())
    model.compile(optimizer=tk.optimizers.Adam(0.01), loss="mse")
    return model


def _x(case):
    if case == "conv_lstm1d":
        return np.repeat(SEQUENCES[:, :, None, :], 4, axis=2)
    return IMAGES if case.startswith(("random", "spatial_dropout2d", "mix_up", "aug_mix")) else SEQUENCES


def _fit(model, case, epochs=4, callbacks=(), initial_epoch=0):
    model.fit(_x(case), TARGETS, batch_size=4, epochs=epochs, initial_epoch=initial_epoch, shuffle=False,
              verbose=0, callbacks=list(callbacks))  # fmt: skip
    return model


def _assert_same_weights(got, expected):
    for a, b in zip(got.get_weights(), expected.get_weights()):
        np.testing.assert_array_equal(a, b)


def _uninterrupted(case, cache={}):  # noqa: B006 (one reference run per case and module)
    if case not in cache:
        cache[case] = _fit(_model(case), case)
    return cache[case]


def _differs_when_the_stream_restarts(case):
    """Guard against a vacuous test: training on from a fresh generator gives other weights."""
    restarted = _fit(_model(case), case, epochs=2)
    fresh = _model(case)
    fresh.set_weights(restarted.get_weights())
    _fit(fresh, case, epochs=4, initial_epoch=2)
    return any(
        not np.array_equal(a, b) for a, b in zip(fresh.get_weights(), _uninterrupted(case).get_weights())
    )


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("save_freq", ["epoch", 3])
def test_backup_and_restore_resumes_the_layers_random_streams(tmp_path, case, save_freq):
    backup_dir = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        _fit(_model(case), case, callbacks=[BackupAndRestore(backup_dir, save_freq), CrashAfter(10)])
    resumed = _fit(_model(case), case, callbacks=[BackupAndRestore(backup_dir, save_freq)])
    _assert_same_weights(resumed, _uninterrupted(case))


@pytest.mark.parametrize("save_freq", ["epoch", 3])
def test_backup_and_restore_resumes_the_global_seed_generator(tmp_path, save_freq):
    def model():
        tk.config.set_random_seed(3)
        built = tk.Sequential([L.Input((5, 3)), L.Dense(6), GlobalSeedNoise(), *_dense_head()])
        built.compile(optimizer=tk.optimizers.Adam(0.01), loss="mse")
        return built

    reference = _fit(model(), "global")
    backup_dir = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        _fit(model(), "global", callbacks=[BackupAndRestore(backup_dir, save_freq), CrashAfter(10)])
    resumed = _fit(model(), "global", callbacks=[BackupAndRestore(backup_dir, save_freq)])
    _assert_same_weights(resumed, reference)


# Every case in one model format and one weights format; the other two formats on a few cases.
SAVE_LOAD = [(case, fmt) for case in CASES for fmt in ("keras", "weights.safetensors")] + [
    (case, fmt) for case in ("lstm", "aug_mix", "seed_generator") for fmt in ("safetensors", "weights.h5")
]


@pytest.mark.parametrize(("case", "fmt"), SAVE_LOAD)
def test_save_load_and_fit_on_continues_the_layers_random_streams(tmp_path, case, fmt):
    if "h5" in fmt or fmt == "keras":
        pytest.importorskip("h5py")
    first = _fit(_model(case), case, epochs=2)
    path = str(tmp_path / f"model.{fmt}")
    if fmt.startswith("weights"):
        first.save_weights(path)
        loaded = _model(case)
        loaded.load_weights(path)
    else:
        first.save(path)
        loaded = tk.saving.load_model(path)
    _fit(loaded, case, epochs=4, initial_epoch=2)
    _assert_same_weights(loaded, _uninterrupted(case))


@pytest.mark.parametrize("case", ["dropout", "lstm", "random_zoom", "aug_mix", "seed_generator"])
def test_the_cases_draw_from_the_seeded_streams(case):
    assert _differs_when_the_stream_restarts(case)


@pytest.mark.parametrize("fmt", ["weights.h5", "weights.safetensors"])
def test_a_corrupt_random_state_is_refused_before_anything_is_assigned(tmp_path, fmt):
    pytest.importorskip("h5py")
    from torchkeras.saving import h5_io, random_state, safetensors_io

    trained = _fit(_model("lstm"), "lstm", epochs=1)
    path = str(tmp_path / f"model.{fmt}")
    trained.save_weights(path)
    if fmt == "weights.h5":
        import h5py

        with h5py.File(path, "r+") as file:
            text = h5_io.read_text(file, random_state.NAME, path)
            del file[random_state.NAME]
            corrupt = text.replace('"cpu": "', '"cpu": "AAAA', 1)
            file.create_dataset(random_state.NAME, data=np.frombuffer(corrupt.encode(), dtype=np.uint8))
    else:
        with safetensors_io.SafetensorsFile(path) as file:
            tensors = {name: entry.read() for name, entry in file.tensors.items()}
            metadata = dict(file.metadata)
        metadata[random_state.NAME] = metadata[random_state.NAME].replace('"cpu": "', '"cpu": "AAAA', 1)
        with open(path, "wb") as out:
            for chunk in safetensors_io.encode(tensors, metadata):
                out.write(chunk)
    fresh = _model("lstm")
    before = [w.copy() for w in fresh.get_weights()]
    with pytest.raises(ValueError, match="random state is corrupt"):
        fresh.load_weights(path)
    for a, b in zip(before, fresh.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras_loads_a_file_that_carries_the_random_state(keras, tmp_path):
    pytest.importorskip("h5py")
    trained = _fit(_model("dropout"), "dropout", epochs=1)
    trained.save(tmp_path / "model.keras")
    theirs = keras.saving.load_model(tmp_path / "model.keras", compile=False)
    np.testing.assert_allclose(
        np.asarray(theirs.predict(SEQUENCES, verbose=0)),
        trained.predict(SEQUENCES, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )
