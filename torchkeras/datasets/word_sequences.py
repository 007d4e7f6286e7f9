"""The word-index processing shared by the IMDB and Reuters datasets (Keras's exact rules)."""

from __future__ import annotations

import json

import numpy as np

from torchkeras.datasets.remote_file import ORIGIN, fetch

__all__ = ["clip_vocabulary", "drop_long", "load_word_index", "object_array", "shift"]

_MAX_INDEX_BYTES = 64 << 20


def shift(sequences, start_char: int | None, index_from: int) -> list[list[int]]:
    """Adds `index_from` to every word index and prepends `start_char` (when not None)."""
    head = [] if start_char is None else [start_char]
    return [head + [int(w) + index_from for w in seq] for seq in sequences]


def drop_long(sequences: list, labels, maxlen: int | None) -> tuple[list, np.ndarray]:
    """Keeps the sequences shorter than `maxlen` (all of them when `maxlen` is falsy)."""
    labels = np.asarray(labels)
    if not maxlen:
        return sequences, labels
    kept = [i for i, seq in enumerate(sequences) if len(seq) < maxlen]
    return [sequences[i] for i in kept], labels[kept]


def clip_vocabulary(
    sequences: list, num_words: int | None, skip_top: int, oov_char: int | None
) -> list[list[int]]:
    """Maps indices outside `[skip_top, num_words)` to `oov_char`, or drops them when it is None.

    Without `num_words` the bound is the largest index present, which (as in Keras) makes that
    one index out of vocabulary too.
    """
    if not num_words:
        num_words = max((max(seq) for seq in sequences if seq), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in sequences]
    return [[w for w in seq if skip_top <= w < num_words] for seq in sequences]


def object_array(sequences: list[list[int]]) -> np.ndarray:
    """A 1-D object array of lists (what Keras returns), even when every list has one length."""
    array = np.empty(len(sequences), dtype=object)
    array[:] = sequences
    return array


def load_word_index(path: str, remote: str, file_hash: str) -> dict[str, int]:
    """Reads a `{word: index}` JSON file from Keras's cache (downloading it if needed)."""
    local = fetch(path, origin=ORIGIN + remote, file_hash=file_hash)
    with open(local, encoding="utf8") as handle:
        text = handle.read(_MAX_INDEX_BYTES + 1)
    if len(text) > _MAX_INDEX_BYTES:
        raise ValueError(f"Refusing {local}: larger than {_MAX_INDEX_BYTES} bytes.")
    index = json.loads(text)
    if not isinstance(index, dict) or not all(isinstance(v, int) for v in index.values()):
        raise ValueError(f"Refusing {local}: a word index maps words to integers.")
    return index
