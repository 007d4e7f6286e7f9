"""MelSpectrogram: parity with Keras (options, one signal and batches), the mel filter bank against
a reference formula, shapes, config, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers import MelSpectrogram

SIGNALS = np.random.default_rng(0).normal(size=(3, 2000)).astype("float32")
SMALL = {"fft_length": 256, "sequence_stride": 64, "num_mel_bins": 32, "sampling_rate": 8000}
OPTIONS = [
    {},
    {"sequence_length": 200, "power_to_db": False, "mag_exp": 1.0},
    {"window": "hamming", "top_db": 20.0, "ref_power": 2.0, "min_freq": 100.0, "max_freq": 3000.0},
    {"window": None, "min_power": 1e-4},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_parity_with_keras(keras, options):
    kwargs = {**SMALL, **options}
    out = check_layer(
        lambda: MelSpectrogram(**kwargs), SIGNALS, lambda: keras.layers.MelSpectrogram(**kwargs), atol=0
    )
    theirs = np.asarray(keras.layers.MelSpectrogram(**kwargs)(SIGNALS))
    np.testing.assert_allclose(out, theirs, rtol=1e-4, atol=1e-5 * np.abs(theirs).max())


def test_one_signal_and_default_arguments(keras):
    signal = SIGNALS[0]
    ours = MelSpectrogram()(torch.as_tensor(signal)).numpy()
    theirs = np.asarray(keras.layers.MelSpectrogram()(signal))
    assert ours.shape == theirs.shape == (128, 4)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5 * np.abs(theirs).max())


def test_mel_matrix_reference_formula():
    # HTK mel scale: triangles with peak 1 between edges equally spaced in mel; the DC row is 0.
    layer = MelSpectrogram()
    matrix = layer.linear_to_mel_weight_matrix(10, 65, 8000, 100.0, 3000.0).numpy()
    mel = lambda f: 1127.0 * np.log1p(f / 700.0)  # noqa: E731
    bins = mel(np.linspace(0, 4000, 65))[1:, None]
    edges = np.linspace(mel(100.0), mel(3000.0), 12)
    low, mid, high = edges[:-2], edges[1:-1], edges[2:]
    expected = np.maximum(0, np.minimum((bins - low) / (mid - low), (high - bins) / (high - mid)))
    np.testing.assert_allclose(matrix[1:], expected, atol=1e-5)
    np.testing.assert_array_equal(matrix[0], 0.0)


def test_db_floor_is_batch_wide():
    # Keras floors at the batch's maximum minus top_db (not per signal).
    loud = np.stack([SIGNALS[0] * 1000.0, SIGNALS[1]])
    out = MelSpectrogram(**SMALL, top_db=10.0)(torch.as_tensor(loud)).numpy()
    assert out.min() >= out.max() - 10.0 - 1e-4
    np.testing.assert_allclose(out[1], out.max() - 10.0, rtol=1e-6)


def test_output_shape_and_config():
    layer = MelSpectrogram(**SMALL)
    assert layer.compute_output_shape((None, 2000)) == (None, 32, 32)
    assert layer.compute_output_shape((2000,)) == (32, 32)
    assert MelSpectrogram.from_config(layer.get_config()).get_config() == layer.get_config()
    assert layer.get_config()["max_freq"] == 4000 and layer.get_config()["sequence_length"] == 256


def test_errors():
    with pytest.raises(ValueError, match="`fft_length` must be >= sequence_length=512"):
        MelSpectrogram(fft_length=256, sequence_length=512)
    with pytest.raises(ValueError, match="`window` must be one of"):
        MelSpectrogram(window="kaiser")
    with pytest.raises(ValueError, match="`num_mel_bins` must be a positive integer"):
        MelSpectrogram(num_mel_bins=0)
    with pytest.raises(ValueError, match="`min_freq` must be >= 0 and below max_freq=4000"):
        MelSpectrogram(sampling_rate=8000, min_freq=5000.0)
