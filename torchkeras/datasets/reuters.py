"""Reuters newswire topics (`keras.datasets.reuters`)."""

from __future__ import annotations

import numpy as np

from torchkeras.datasets.remote_file import ORIGIN, fetch
from torchkeras.datasets.safe_unpickle import load_npz
from torchkeras.datasets.tabular_split import shuffled, split_point
from torchkeras.datasets.word_sequences import (
    clip_vocabulary,
    drop_long,
    load_word_index,
    object_array,
    shift,
)

__all__ = ["get_label_names", "get_word_index", "load_data"]

_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
_LABELS = (
    "cocoa",
    "grain",
    "veg-oil",
    "earn",
    "acq",
    "wheat",
    "copper",
    "housing",
    "money-supply",
    "coffee",
    "sugar",
    "trade",
    "reserves",
    "ship",
    "cotton",
    "carcass",
    "crude",
    "nat-gas",
    "cpi",
    "money-fx",
    "interest",
    "gnp",
    "meal-feed",
    "alum",
    "oilseed",
    "gold",
    "tin",
    "strategic-metal",
    "livestock",
    "retail",
    "ipi",
    "iron-steel",
    "rubber",
    "heat",
    "jobs",
    "lei",
    "bop",
    "zinc",
    "orange",
    "pet-chem",
    "dlr",
    "gas",
    "silver",
    "wpi",
    "hog",
    "lead",
)


def load_data(
    path: str = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
):
    """Loads the Reuters newswires: 11,228 wires as lists of word indices, labelled with 46 topics.

    Args:
        path: file name of the dataset in Keras's cache.
        num_words: keep only the `num_words` most frequent words (others become `oov_char`).
        skip_top: also treat the `skip_top` most frequent words as out of vocabulary.
        maxlen: drop wires of `maxlen` words or more.
        test_split: fraction of the wires held out as the test set.
        seed: seed of the shuffle.
        start_char: index marking the start of each wire (`None` for none).
        oov_char: index replacing dropped words (`None` removes them).
        index_from: offset added to every word index.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of lists of ints, and topic labels.
    """
    arrays = load_npz(fetch(path, origin=f"{ORIGIN}reuters.npz", file_hash=_HASH))
    xs, labels = shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"])
    sequences, labels = drop_long(shift(xs, start_char, index_from), labels, maxlen)
    sequences = clip_vocabulary(sequences, num_words, skip_top, oov_char)
    cut = split_point(len(sequences), test_split)
    return (
        (object_array(sequences[:cut]), np.array(labels[:cut])),
        (object_array(sequences[cut:]), np.array(labels[cut:])),
    )


def get_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    """Returns the `{word: index}` dictionary of the Reuters dataset (indices before `index_from`)."""
    return load_word_index(path, "reuters_word_index.json", _INDEX_HASH)


def get_label_names() -> tuple[str, ...]:
    """Returns the 46 topic names, indexed by label."""
    return tuple(_LABELS)
