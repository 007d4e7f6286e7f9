"""`audio_dataset_from_directory`: WAV decoding as `tf.audio.decode_wav`, padding, labels, errors."""

import wave

import numpy as np
import pytest

import torchkeras as tk
from torchkeras.utils.audio_dataset_utils import decode_wav


def _write(path, samples, rate=8000, width=2):
    data = np.asarray(samples)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(data.shape[1] if data.ndim == 2 else 1)
        handle.setsampwidth(width)
        handle.setframerate(rate)
        dtype = {1: np.uint8, 2: "<i2", 4: "<i4"}[width]
        handle.writeframes(data.astype(dtype).tobytes())


@pytest.fixture
def folder(tmp_path):
    for index, name in enumerate(["no", "yes"]):
        (tmp_path / name).mkdir()
        for item in range(2):
            length = 4 + 2 * item + index
            _write(tmp_path / name / f"{item}.wav", np.full(length, 1000 * (index + 1), np.int16))
    return tmp_path


def test_decoding_scales_like_decode_wav(tmp_path):
    _write(tmp_path / "a.wav", np.array([[-32768, 16384], [0, 32767]]))
    audio, rate = decode_wav(str(tmp_path / "a.wav"))
    np.testing.assert_allclose(audio, [[-1.0, 0.5], [0.0, 32767 / 32768]])
    assert rate == 8000
    _write(tmp_path / "b.wav", np.array([0, 128, 255]), width=1)
    np.testing.assert_allclose(decode_wav(str(tmp_path / "b.wav"))[0][:, 0], [-1.0, 0.0, 127 / 128])


def test_batches_pad_to_the_longest_and_fixed_lengths(folder):
    dataset = tk.utils.audio_dataset_from_directory(folder, batch_size=4, shuffle=False, verbose=False)
    audio, labels = dataset[0]
    assert dataset.class_names == ["no", "yes"] and audio.shape == (4, 7, 1)
    np.testing.assert_array_equal(labels.numpy(), [0, 0, 1, 1])
    np.testing.assert_allclose(audio[0, :, 0].numpy(), [1000 / 32768] * 4 + [0.0] * 3)
    fixed = tk.utils.audio_dataset_from_directory(
        folder, batch_size=2, output_sequence_length=5, shuffle=False, verbose=False
    )
    assert fixed[0][0].shape == (2, 5, 1) and len(fixed) == 2
    ragged = tk.utils.audio_dataset_from_directory(
        folder, batch_size=4, ragged=True, shuffle=False, verbose=False
    )
    assert [clip.shape[0] for clip in ragged[0][0]] == [4, 6, 5, 7]


def test_sampling_rate_and_argument_errors(folder):
    matching = tk.utils.audio_dataset_from_directory(folder, sampling_rate=8000, verbose=False)
    assert matching[0][0].shape[0] == 4
    mismatched = tk.utils.audio_dataset_from_directory(folder, sampling_rate=16000, verbose=False)
    with pytest.raises(ValueError, match="does not resample"):
        mismatched[0]
    with pytest.raises(ValueError, match="ragged"):
        tk.utils.audio_dataset_from_directory(folder, ragged=True, output_sequence_length=3)
    with pytest.raises(ValueError, match="sampling_rate"):
        tk.utils.audio_dataset_from_directory(folder, sampling_rate=-1)
