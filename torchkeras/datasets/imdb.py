"""IMDB movie-review sentiment (`keras.datasets.imdb`)."""

from __future__ import annotations

import numpy as np

from torchkeras.datasets.remote_file import ORIGIN, fetch
from torchkeras.datasets.safe_unpickle import load_npz
from torchkeras.datasets.tabular_split import shuffled
from torchkeras.datasets.word_sequences import (
    clip_vocabulary,
    drop_long,
    load_word_index,
    object_array,
    shift,
)

__all__ = ["get_word_index", "load_data"]

_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(
    path: str = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    **kwargs,
):
    """Loads the IMDB reviews: 25,000 training and 25,000 test reviews as lists of word indices.

    Args:
        path: file name of the dataset in Keras's cache.
        num_words: keep only the `num_words` most frequent words (others become `oov_char`).
        skip_top: also treat the `skip_top` most frequent words as out of vocabulary.
        maxlen: drop reviews of `maxlen` words or more.
        seed: seed of the shuffle.
        start_char: index marking the start of each review (`None` for none).
        oov_char: index replacing dropped words (`None` removes them).
        index_from: offset added to every word index.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of lists of ints, and 0/1 labels.
    """
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    arrays = load_npz(fetch(path, origin=f"{ORIGIN}imdb.npz", file_hash=_HASH))
    rng = np.random.RandomState(seed)
    x_train, y_train = shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = shuffled(rng, arrays["x_test"], arrays["y_test"])
    x_train, y_train = drop_long(shift(x_train, start_char, index_from), y_train, maxlen)
    x_test, y_test = drop_long(shift(x_test, start_char, index_from), y_test, maxlen)
    if maxlen and (not x_train or not x_test):
        raise ValueError(
            f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
            "Increase maxlen."
        )
    sequences = clip_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    cut = len(x_train)
    return (object_array(sequences[:cut]), labels[:cut]), (object_array(sequences[cut:]), labels[cut:])


def get_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    """Returns the `{word: index}` dictionary of the IMDB dataset (indices before `index_from`)."""
    return load_word_index(path, "imdb_word_index.json", _INDEX_HASH)
