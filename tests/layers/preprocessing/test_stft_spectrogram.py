"""STFTSpectrogram: parity with Keras for every mode and layout (same kernels), the kernels against
Keras's initializer, a reference DFT, shapes, config, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers import STFTSpectrogram

SIGNALS = np.random.default_rng(0).normal(size=(2, 300, 2)).astype("float32")
MODES = ["log", "magnitude", "psd", "real", "imag", "angle", "stft"]


def _signals(data_format):
    return SIGNALS if data_format == "channels_last" else SIGNALS.transpose(0, 2, 1).copy()


@pytest.mark.parametrize("mode", MODES)
def test_modes_match_keras(keras, mode):
    kwargs = {"mode": mode, "frame_length": 32, "frame_step": 16, "fft_length": 64}
    x = SIGNALS
    if mode == "angle":  # keep away from bins whose imaginary part is a rounding residue
        x = x + 0.1
    check_layer(
        lambda: STFTSpectrogram(**kwargs), x, lambda: keras.layers.STFTSpectrogram(**kwargs), atol=1e-4
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "options",
    [
        {"padding": "same", "expand_dims": True},
        {"window": "hamming", "periodic": True, "scaling": "spectrum", "frame_length": 30},
        {"window": None, "scaling": None, "frame_length": 16, "expand_dims": True},
    ],
)
def test_layouts_and_windows_match_keras(keras, data_format, options):
    kwargs = {**options, "data_format": data_format}
    check_layer(
        lambda: STFTSpectrogram(**kwargs),
        _signals(data_format),
        lambda: keras.layers.STFTSpectrogram(**kwargs),
        atol=1e-4,
    )


def test_kernels_match_keras_initializer(keras):
    ours, theirs = (
        STFTSpectrogram(frame_length=24, window="hann"),
        keras.layers.STFTSpectrogram(frame_length=24),
    )
    ours(torch.as_tensor(SIGNALS))
    theirs(SIGNALS)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert a.shape == (24, 1, 17)
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-6)


def test_reference_dft():
    # Without a window, "real"/"imag" are the DFT of each frame: sum_t x[t] exp(-2 pi i k t / N).
    frame, step = 16, 8
    layer = STFTSpectrogram(mode="stft", frame_length=frame, frame_step=step, window=None, scaling=None)
    out = layer(torch.as_tensor(SIGNALS[:, :, :1])).detach().numpy()
    frames = np.stack([SIGNALS[:, i : i + frame, 0] for i in range(0, 300 - frame + 1, step)], axis=1)
    spectrum = np.fft.rfft(frames, axis=-1)
    np.testing.assert_allclose(out[..., :9], spectrum.real, atol=1e-4)
    np.testing.assert_allclose(out[..., 9:], spectrum.imag, atol=1e-4)


def test_kernels_train():
    layer = STFTSpectrogram(mode="magnitude", frame_length=16)
    layer(torch.as_tensor(SIGNALS)).sum().backward()
    assert len(layer.trainable_weights) == 2
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in layer.trainable_weights)
    assert len(STFTSpectrogram(mode="real", trainable=False, frame_length=16).weights) == 0  # built lazily


def test_output_shapes_and_config():
    layer = STFTSpectrogram(frame_length=256, frame_step=128, fft_length=512)
    assert layer.compute_output_shape((3, 16000, 1)) == (3, 124, 257)
    same = STFTSpectrogram(frame_length=256, frame_step=128, padding="same", expand_dims=True)
    assert same.compute_output_shape((3, 16000, 3)) == (3, 125, 129, 3)
    assert STFTSpectrogram.from_config(layer.get_config()).get_config() == layer.get_config()


def test_errors():
    with pytest.raises(ValueError, match="`mode` must be one of"):
        STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match=r"`frame_step` must be an integer in \[1, frame_length=16\]"):
        STFTSpectrogram(frame_length=16, frame_step=32)
    with pytest.raises(ValueError, match="`fft_length` must be >= frame_length=16"):
        STFTSpectrogram(frame_length=16, fft_length=8)
    with pytest.raises(ValueError, match="`padding` must be one of"):
        STFTSpectrogram(padding="causal")
    with pytest.raises(ValueError, match="`window`"):
        STFTSpectrogram(window="tukey-ish")
    with pytest.warns(UserWarning, match="power of two"):
        STFTSpectrogram(frame_length=16, fft_length=24)
    with pytest.raises(TypeError, match="expected float16, float32 or float64"):
        STFTSpectrogram(frame_length=16)(torch.zeros(1, 64, 1, dtype=torch.int32))
