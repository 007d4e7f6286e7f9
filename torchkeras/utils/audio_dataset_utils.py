"""`audio_dataset_from_directory`: `.wav` files in class folders as batches of waveforms.

WAV files are decoded with Python's `wave` module (integer PCM, 8/16/24/32-bit) to float32 in
`[-1, 1]`, shaped `(samples, channels)`, as `tf.audio.decode_wav` returns them.
"""

from __future__ import annotations

import wave
from typing import Any

import numpy as np
import torch

from torchkeras.utils.directory_dataset import (
    DirectoryDataset,
    check_binary_classes,
    check_split_arguments,
    index_directory,
    split_for_subset,
)

__all__ = ["audio_dataset_from_directory"]


def decode_wav(path: str) -> tuple[np.ndarray, int]:
    """`(samples, channels)` float32 audio in `[-1, 1]` and the file's sampling rate."""
    with wave.open(path, "rb") as handle:
        channels, width, rate = handle.getnchannels(), handle.getsampwidth(), handle.getframerate()
        raw = handle.readframes(handle.getnframes())
    if width == 1:
        audio = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        audio = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        triples = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        values = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        values = np.where(values >= 1 << 23, values - (1 << 24), values)
        audio = values.astype(np.float32) / float(1 << 23)
    else:
        audio = (np.frombuffer(raw, dtype="<i4").astype(np.float64) / float(1 << 31)).astype(np.float32)
    return audio.reshape(-1, channels), rate


def audio_dataset_from_directory(
    directory: str,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    batch_size: int | None = 32,
    sampling_rate: int | None = None,
    output_sequence_length: int | None = None,
    ragged: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> DirectoryDataset | tuple[DirectoryDataset, DirectoryDataset]:
    """Reads `.wav` files from `directory` (one subfolder per class) as batches of waveforms.

    Files are found, labelled, shuffled and split as Keras does. Without
    `output_sequence_length`, each batch is zero-padded to its longest file.

    Args:
        directory: the folder; with `labels="inferred"`, one subfolder per class.
        labels: `"inferred"`, `None`, or a list of labels for the sorted audio files.
        label_mode: `"int"`, `"categorical"`, `"binary"` or `None` (audio only).
        class_names: the classes (subfolder names) to use, in this order.
        batch_size: files per batch; `None` yields single files.
        sampling_rate: the expected sampling rate; a file with another rate raises a
            `ValueError` (torchkeras does not resample).
        output_sequence_length: truncate or zero-pad every file to this many samples.
        ragged: return each batch as a list of `(samples, channels)` tensors of their own
            lengths (torch has no ragged tensors).
        shuffle, seed: shuffle the files once (NumPy's `RandomState(seed)`, as Keras).
        validation_split, subset: the fraction kept for validation and which part to return:
            `"training"`, `"validation"` or `"both"`.
        follow_links: follow symbolic links to subfolders.
        verbose: print how many files were found and used.

    Returns:
        A `PyDataset` of `(audio, labels)` batches with `class_names` and `file_paths`, or a
        pair of them with `subset="both"`.
    """
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode!r}"
        )
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None and (not isinstance(sampling_rate, int) or sampling_rate <= 0):
        raise ValueError(
            f"`sampling_rate` must be a positive integer. Received: sampling_rate={sampling_rate!r}"
        )
    if output_sequence_length is not None and (
        not isinstance(output_sequence_length, int) or output_sequence_length <= 0
    ):
        raise ValueError(
            "`output_sequence_length` must be a positive integer. "
            f"Received: output_sequence_length={output_sequence_length!r}"
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_split_arguments(validation_split, subset, shuffle, seed)
    paths, label_array, names = index_directory(
        directory, labels, (".wav",), class_names, shuffle, seed, follow_links, verbose
    )
    check_binary_classes(label_mode, names)

    def load(path: str) -> torch.Tensor:
        audio, rate = decode_wav(path)
        if sampling_rate is not None and rate != sampling_rate:
            raise ValueError(
                f"File {path} has a sampling rate of {rate} Hz; `sampling_rate={sampling_rate}` was "
                "asked and torchkeras does not resample. Resample the files first."
            )
        if output_sequence_length is not None:
            fixed = np.zeros((output_sequence_length, audio.shape[1]), np.float32)
            kept = audio[:output_sequence_length]
            fixed[: len(kept)] = kept
            audio = fixed
        return torch.from_numpy(np.ascontiguousarray(audio))

    def collate(clips: list[torch.Tensor]) -> Any:
        if ragged:
            return clips
        return torch.nn.utils.rnn.pad_sequence(clips, batch_first=True)

    def make(part: str) -> DirectoryDataset:
        part_paths, part_labels = split_for_subset(paths, label_array, validation_split, part)
        return DirectoryDataset(part_paths, part_labels, label_mode, names, batch_size, load, collate)

    if subset == "both":
        return make("training"), make("validation")
    return make(subset or "training")
