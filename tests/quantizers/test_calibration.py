"""The calibration windows GPTQ and AWQ cut from a dataset, against Keras's `get_dataloader`."""

import numpy as np
import pytest

from torchkeras.quantizers.calibration import get_dataloader


class _Tokenizer:
    def tokenize(self, text):
        return np.array([ord(c) % 50 for c in text], dtype="int32")


@pytest.mark.parametrize("strategy", ["linspace", "random"])
@pytest.mark.parametrize("num_samples,length", [(4, 8), (10, 16)])
def test_windows_match_keras(keras, strategy, num_samples, length):
    from keras.src.quantizers.gptq_core import get_dataloader as keras_get_dataloader

    dataset = [np.arange(37, dtype="int32"), np.arange(100, 121, dtype="int32")]
    ours = get_dataloader(None, length, dataset, num_samples, strategy=strategy, seed=3)
    ref = keras_get_dataloader(None, length, dataset, num_samples, strategy=strategy, seed=3)
    assert ours.shape == (num_samples, 1, length) and ours.dtype == np.int32
    np.testing.assert_array_equal(ours, ref)


def test_strided_windows_are_contiguous_evenly_spaced_and_reproducible():
    stream = np.arange(200, dtype="int32")
    windows = get_dataloader(None, 10, [stream], 5)
    # Keras's strided offset comes from Python's per-process `hash`; ours from the seed only
    np.testing.assert_array_equal(windows, get_dataloader(None, 10, [stream], 5))
    starts = windows[:, 0, 0]
    np.testing.assert_array_equal(windows[:, 0, :], starts[:, None] + np.arange(10))
    assert set(np.diff(starts) % 191) == {191 // 5}


def test_strings_are_tokenized_and_short_data_repeated(keras):
    from keras.src.quantizers.gptq_core import get_dataloader as keras_get_dataloader

    texts = ["hello world", "tiny"]
    ours = get_dataloader(_Tokenizer(), 6, texts, 8, strategy="linspace", eos_id=49)
    ref = keras_get_dataloader(_Tokenizer(), 6, texts, 8, strategy="linspace", eos_id=49)
    np.testing.assert_array_equal(ours, ref)
    assert 49 in ours  # the separator between the two documents


def test_bad_datasets_raise():
    with pytest.raises(TypeError, match="dataset"):
        get_dataloader(None, 4, "not a list of texts")
    with pytest.raises(ValueError, match="empty"):
        get_dataloader(None, 4, [])
    with pytest.raises(ValueError, match="tokenizer"):
        get_dataloader(None, 4, ["some text"], 2)
    with pytest.raises(ValueError, match="strategy"):
        get_dataloader(None, 4, [np.arange(10)], 2, strategy="shuffled")
