"""`TextVectorization`: raw strings -> token indices or bag-of-words vectors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.layer import Layer
from torchkeras.layers.preprocessing.adapt_data import adapt_batches
from torchkeras.layers.preprocessing.encoding import encode_categorical
from torchkeras.layers.preprocessing.index_lookup import host_array
from torchkeras.layers.preprocessing.string_lookup import StringLookup
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_choice, invalid

__all__ = ["TextVectorization"]

# TensorFlow's `strings.lower` (no encoding given) lowercases ASCII letters only, and its
# whitespace split cuts at ASCII whitespace only: both kept, so tokens match Keras's.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_WHITESPACE = re.compile(r"[ \t\n\x0b\x0c\r]+")


@register_builtin
class TextVectorization(Layer):
    """Turns strings into sequences of token indices, or into one vector per string.

    Each string is standardized (lower-cased and stripped of punctuation by default), split into
    tokens (at whitespace by default), optionally extended with n-grams, then looked up in a
    vocabulary set with `vocabulary` or learned with `adapt()`. Strings arrive as NumPy arrays,
    lists or tensors' host copies; results are tensors on the layer's device.

    Args:
        max_tokens: the largest vocabulary size, padding and OOV tokens included.
        standardize: `"lower_and_strip_punctuation"`, `"lower"`, `"strip_punctuation"`, `None`,
            or a callable taking and returning a NumPy array of strings.
        split: `"whitespace"`, `"character"`, `None` (no split), or a callable taking a NumPy
            array of strings and returning one list of tokens per string.
        ngrams: `None`, an integer `n` (all n-grams up to `n`) or a tuple of n-gram sizes.
        output_mode: `"int"`, `"multi_hot"`, `"count"` or `"tf_idf"` (`"one_hot"` as Keras).
        output_sequence_length: with `"int"`, pad or truncate every sequence to this length;
            otherwise sequences are padded to the longest in the batch.
        pad_to_max_tokens: encoded outputs have `max_tokens` columns.
        vocabulary: a list or text-file path of tokens.
        idf_weights: with `"tf_idf"` and `vocabulary`, one IDF weight per token.
        sparse, ragged: must be `False` (no sparse or ragged tensors on torch).
        encoding: the encoding of byte strings.

    Example:
    ```python
    layer = keras.layers.TextVectorization(max_tokens=10, output_sequence_length=4)
    layer.adapt(["the cat sat", "the dog"])
    layer(np.array(["The cat!", "a dog sat"]))  # [[2, 5, 0, 0], [1, 4, 3, 0]]
    ```
    """

    _accepts_text = True

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable | None = "lower_and_strip_punctuation",
        split: str | Callable | None = "whitespace",
        ngrams: int | tuple | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs: Any,
    ):
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        owner = f"TextVectorization '{self.name}'"
        if not callable(standardize):
            standardize = check_choice(
                standardize, ("lower_and_strip_punctuation", "lower", "strip_punctuation", None),
                "standardize", owner,
            )  # fmt: skip
        if not callable(split):
            split = check_choice(split, ("whitespace", "character", None), "split", owner)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        output_mode = check_choice(
            output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf"), "output_mode", owner
        )
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        positive_int = isinstance(ngrams, int) and not isinstance(ngrams, bool) and ngrams > 0
        sizes = isinstance(ngrams, tuple) and all(isinstance(n, int) and n > 0 for n in ngrams)
        if not (ngrams is None or positive_int or sizes):
            raise invalid(
                "ngrams", "must be None, a positive integer or a tuple of positive integers", ngrams, owner
            )
        if output_sequence_length is not None:
            if output_mode != "int":
                raise invalid(
                    "output_sequence_length",
                    "must not be set unless `output_mode='int'`",
                    output_sequence_length,
                    owner,
                )
            if isinstance(output_sequence_length, bool) or not isinstance(output_sequence_length, int) \
                    or output_sequence_length < 0:  # fmt: skip
                raise invalid(
                    "output_sequence_length", "must be None or an integer >= 0", output_sequence_length, owner
                )
        if sparse:
            raise invalid(
                "sparse", "must be False (sparse outputs are not supported on torch)", sparse, owner
            )
        if ragged:
            raise invalid(
                "ragged", "must be False (ragged outputs are not supported on torch)", ragged, owner
            )
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._has_input_vocabulary = has_input_vocabulary
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            sparse=sparse,
            has_input_vocabulary=has_input_vocabulary,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
        )
        self.built = True

    # ------------------------------------------------------------- vocabulary

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary by index (the padding `""` and `"[UNK]"` first unless excluded)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the vocabulary (and IDF weights for `"tf_idf"`) directly; see `StringLookup`."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learns the vocabulary from `data`: a list or array of strings (one document each), or
        an iterable of batches of them."""
        self.reset_state()
        if isinstance(data, (list, tuple)):
            data = host_array(data, True)
        whole, batches = adapt_batches(data, batch_size, steps)
        for batch in [whole] if whole is not None else batches:
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        self._lookup_layer._count_documents(self._tokenize(data))

    def finalize_state(self) -> None:
        self._lookup_layer.finalize_state()

    def reset_state(self) -> None:
        self._lookup_layer.reset_state()

    # ------------------------------------------------------------------ call

    def _standardized(self, strings: np.ndarray) -> np.ndarray:
        if callable(self._standardize):
            return np.asarray(self._standardize(strings.astype(str)), dtype=object)
        flat = [str(s) for s in strings.reshape(-1)]
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            flat = [s.translate(_ASCII_LOWER) for s in flat]
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [_PUNCTUATION.sub("", s) for s in flat]
        return np.array(flat, dtype=object).reshape(strings.shape)

    def _tokenize(self, inputs: Any) -> list[list[str]]:
        """One list of tokens per input string (one per row when `split=None`)."""
        strings = host_array(inputs, True)
        if strings.ndim == 0:
            strings = strings.reshape(1)
        strings = self._standardized(strings)
        if self._split is None:
            rows = [[str(t) for t in row] for row in strings.reshape(len(strings), -1)]
        else:
            if strings.ndim > 1:
                if strings.shape[-1] != 1:
                    raise ValueError(
                        "When using `TextVectorization` to tokenize strings, the input rank must be 1 or the "
                        "last "
                        f"shape dimension must be 1. Received: inputs.shape={strings.shape}"
                    )
                strings = strings.reshape(strings.shape[:-1])
            flat = strings.reshape(-1)
            if callable(self._split):
                rows = [[str(t) for t in row] for row in self._split(flat.astype(str))]
            elif self._split == "whitespace":
                rows = [[t for t in _WHITESPACE.split(s) if t] for s in flat]
            else:
                rows = [list(s) for s in flat]
        if self._ngrams is not None:
            rows = [_ngrams(row, self._ngrams) for row in rows]
        return rows

    def call(self, inputs: Any) -> torch.Tensor:
        rows = self._tokenize(inputs)
        lookup = self._lookup_layer
        if self._output_mode != "int" and not lookup.pad_to_max_tokens and lookup._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self._output_mode}` and `pad_to_max_tokens=False`, you must set "
                "the "
                "layer's vocabulary before calling it: pass `vocabulary` or call `adapt()` first."
            )
        lengths = [len(row) for row in rows]
        flat = np.array([token for row in rows for token in row], dtype=object)
        indices = lookup._lookup(flat) if flat.size else np.zeros(0, dtype=np.int64)
        if self._output_mode == "int":
            width = (
                self._output_sequence_length
                if self._output_sequence_length is not None
                else max(lengths, default=0)
            )
            padding = 0
        else:
            width = max(lengths, default=0)
            padding = -1  # matches no column: padded positions add nothing to the encoding
        table = np.full((len(rows), width), padding, dtype=np.int64)
        start = 0
        for row, length in enumerate(lengths):
            kept = min(length, width)
            table[row, :kept] = indices[start : start + kept]
            start += length
        table = torch.as_tensor(table, device=lookup._device_anchor.device)
        if self._output_mode == "int":
            return table
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        mode = "count" if self._output_mode == "tf_idf" else self._output_mode
        outputs = encode_categorical(
            table, "multi_hot" if mode == "one_hot" else mode, depth, config.torch_dtype(None)
        )
        if self._output_mode == "tf_idf":
            outputs = outputs * lookup._buffers["idf_weights"].to(outputs.device)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0] if input_shape else None, self._output_sequence_length)
        lookup = self._lookup_layer
        return (
            input_shape[0] if input_shape else None,
            lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size,
        )

    def compute_output_spec(self, inputs: Any, **kwargs: Any) -> KerasTensor:
        dtype = "int64" if self._output_mode == "int" else config.floatx()
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    # ---------------------------------------------------------------- saving

    def _saved_variables(self) -> dict[str, torch.Tensor]:
        return self._lookup_layer._saved_variables()

    def _asset_files(self) -> dict[str, bytes]:
        return self._lookup_layer._asset_files()

    def _load_asset_files(self, files: dict[str, bytes]) -> None:
        self._lookup_layer._load_asset_files(files)

    def get_config(self) -> dict:
        lookup = self._lookup_layer
        base = lookup.get_config()
        return {
            **super().get_config(),
            "max_tokens": lookup.max_tokens,
            "standardize": self._standardize,
            "split": self._split,
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "sparse": lookup.sparse,
            "ragged": self._ragged,
            "vocabulary": base["vocabulary"],
            "idf_weights": base["idf_weights"],
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size(),
        }

    @classmethod
    def from_config(cls, config: dict) -> TextVectorization:
        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                raise ValueError(
                    f"TextVectorization: a saved `{key}` must be one of the built-in names; a custom "
                    "callable "
                    f"cannot be restored from a file. Received: {key}={config[key]!r}"
                )
        if isinstance(config.get("vocabulary"), str):
            raise ValueError(
                "TextVectorization: a config may not name a vocabulary file; pass the vocabulary itself."
            )
        return cls(**config)


def _ngrams(tokens: list[str], widths: tuple[int, ...]) -> list[str]:
    """TensorFlow's `strings.ngrams` with a space separator: every n-gram of each width in turn."""
    grams = []
    for width in widths:
        grams.extend(" ".join(tokens[i : i + width]) for i in range(len(tokens) - width + 1))
    return grams
