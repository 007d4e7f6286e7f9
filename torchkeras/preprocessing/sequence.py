"""`keras.preprocessing.sequence`: `pad_sequences` (the same as in `keras.utils`)."""

from torchkeras.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
