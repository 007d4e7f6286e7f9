"""`IndexLookup`: the shared engine of `StringLookup` and `IntegerLookup` (vocabulary <-> indices).

Vocabularies live on the host as a Python dict; lookups run in NumPy (strings have no torch
dtype) and come out as int64 tensors on the layer's device (a non-persistent buffer follows
`.to(device)`). The vocabulary is saved in the model file as Keras saves it: a `vocabulary.txt`
asset, or in the config when it was passed to the constructor.
"""

from __future__ import annotations

import collections
from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.layer import Layer
from torchkeras.layers.preprocessing.adapt_data import adapt_batches
from torchkeras.layers.preprocessing.encoding import encode_categorical
from torchkeras.layers.preprocessing.string_hashing import as_strings, hash_buckets
from torchkeras.layers.variable import Variable
from torchkeras.utils.validation import check_choice, invalid

__all__ = ["MAX_VOCABULARY_SIZE", "IndexLookup", "host_array"]

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
MAX_VOCABULARY_SIZE = 50_000_000  # a bound on sizes read from a config or a file


def host_array(inputs: Any, string: bool) -> np.ndarray:
    """Inputs as a NumPy array: tensors come back from the device; text becomes an object
    array of `str` (bytes decoded as UTF-8)."""
    if isinstance(inputs, torch.Tensor):
        return inputs.detach().cpu().numpy()
    array = np.asarray(inputs, dtype=object if string else None)
    if string and array.size and any(isinstance(v, bytes) for v in array.reshape(-1)):
        array = np.vectorize(lambda v: v.decode("utf-8") if isinstance(v, bytes) else v, otypes=[object])(
            array
        )
    return array


class IndexLookup(Layer):
    """Maps tokens to indices through a vocabulary (or back, with `invert=True`).

    Indices are laid out as Keras lays them out: the mask token (if any, `"int"` mode only) at 0,
    then `num_oov_indices` out-of-vocabulary indices, then the vocabulary. See `StringLookup`
    and `IntegerLookup` for the arguments.
    """

    _string_tokens = True
    _accepts_text = True

    def __init__(
        self,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token: Any,
        oov_token: Any,
        vocabulary_dtype: str,
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        name: str | None = None,
        salt: Any = None,
        **kwargs: Any,
    ):
        frozen_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        owner = f"{type(self).__name__} '{self.name}'"
        if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int)
                                       or max_tokens <= 1):  # fmt: skip
            raise invalid("max_tokens", "must be an integer greater than 1 (or None)", max_tokens, owner)
        if pad_to_max_tokens and max_tokens is None:
            raise invalid("max_tokens", "must be set when `pad_to_max_tokens=True`", max_tokens, owner)
        if isinstance(num_oov_indices, bool) or not isinstance(num_oov_indices, int) or num_oov_indices < 0:
            raise invalid("num_oov_indices", "must be an integer >= 0", num_oov_indices, owner)
        oov_method = check_choice(oov_method, ("floormod", "farmhash"), "oov_method", owner)
        if salt is not None:
            if not self._string_tokens and oov_method != "farmhash":
                raise invalid("salt", "can only be used when `oov_method='farmhash'`", salt, owner)
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise invalid("salt", "must be an integer or a pair of integers", salt, owner)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        output_mode = check_choice(output_mode, OUTPUT_MODES, "output_mode", owner)
        if invert and output_mode != "int":
            raise invalid("output_mode", "must be 'int' when `invert=True`", output_mode, owner)
        if sparse:
            raise invalid(
                "sparse", "must be False (sparse outputs are not supported on torch)", sparse, owner
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise invalid("idf_weights", "should only be set when `output_mode='tf_idf'`", "...", owner)
        if frozen_size is not None and (not isinstance(frozen_size, int) or isinstance(frozen_size, bool)
                                        or not 0 <= frozen_size <= MAX_VOCABULARY_SIZE):  # fmt: skip
            raise invalid(
                "vocabulary_size", f"must be an integer in [0, {MAX_VOCABULARY_SIZE}]", frozen_size, owner
            )
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen_size
        self.input_vocabulary = None if isinstance(vocabulary, str) else vocabulary
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens: list = []
        self._index: dict = {}
        self.register_buffer("_device_anchor", torch.zeros(0), persistent=False)
        if output_mode == "tf_idf":
            if has_input_vocabulary and idf_weights is None:
                raise ValueError(
                    f"{owner}: with `output_mode='tf_idf'`, passing `vocabulary` requires `idf_weights` too."
                )
            if frozen_size is not None:  # from a config: the saved weights fill it in
                self._set_idf(np.zeros(max_tokens if pad_to_max_tokens else frozen_size, "float32"))
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # ----------------------------------------------------------------- vocabulary

    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The size of the vocabulary, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary, ordered by index: with the mask and OOV tokens first unless
        `include_special_tokens=False`."""
        special = [self.oov_token] * self._token_start_index()
        if self.mask_token is not None and self.output_mode == "int":
            special[0] = self.mask_token
        vocabulary = special + list(self._tokens)
        return vocabulary if include_special_tokens else vocabulary[self._token_start_index() :]

    def _clean_tokens(self, values: np.ndarray) -> list:
        if self._string_tokens:
            return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values.tolist()]
        return [int(v) for v in values.tolist()]

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the vocabulary (and, for `"tf_idf"`, the IDF weights) directly.

        Args:
            vocabulary: a list, tuple, 1-D array or tensor of unique tokens, or the path of a text
                file with one token per line. It may start with the special tokens (mask, then
                OOV) in Keras's order; they must not appear elsewhere.
            idf_weights: one weight per vocabulary entry (`output_mode="tf_idf"` only).
        """
        owner = f"{type(self).__name__} '{self.name}'"
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{owner}: `idf_weights` must be set when `output_mode='tf_idf'`.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise invalid("idf_weights", "should only be set when `output_mode='tf_idf'`", "...", owner)
        if isinstance(vocabulary, str):
            if self.output_mode == "tf_idf":
                raise ValueError(f"{owner}: `output_mode='tf_idf'` cannot read its vocabulary from a file.")
            with open(vocabulary, encoding="utf-8") as file:
                lines = file.read().splitlines()
            vocabulary = [line if self._string_tokens else int(line) for line in lines]
        array = host_array(vocabulary, self._string_tokens).reshape(-1)
        if array.size == 0:
            raise ValueError(f"{owner}: cannot set an empty vocabulary. Received: vocabulary={vocabulary!r}")
        if array.size > MAX_VOCABULARY_SIZE:
            raise invalid(
                "vocabulary", f"must hold at most {MAX_VOCABULARY_SIZE} tokens", f"{array.size} tokens", owner
            )
        values = self._clean_tokens(array)
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        found_special = values[:token_start] == special
        tokens = values[token_start:] if found_special else values
        repeated = [token for token, count in collections.Counter(tokens).items() if count > 1]
        if repeated:
            raise ValueError(
                f"{owner}: the vocabulary has repeated terms; make it unique. Repeated terms: {repeated[:20]}"
            )
        for reserved, label in (
            (self.mask_token, "mask_token"),
            (self.oov_token if self.invert else None, "oov_token"),
        ):
            if reserved is not None and reserved in tokens:
                raise ValueError(
                    f"{owner}: found the reserved `{label}` {reserved!r} inside the vocabulary. Leave "
                    "the mask "
                    f"and OOV tokens out, or put them only at its start in this order: {special}."
                )
        if self.max_tokens is not None and token_start + len(tokens) > self.max_tokens:
            raise ValueError(
                f"{owner}: the vocabulary ({token_start + len(tokens)} entries with the special tokens) is "
                "larger "
                f"than `max_tokens` ({self.max_tokens})."
            )
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            weights = np.asarray(host_array(idf_weights, False), dtype="float64")
            if weights.ndim != 1 or len(weights) != len(values):
                raise ValueError(
                    f"{owner}: `idf_weights` must be 1-D with one weight per vocabulary entry. Received "
                    f"{weights.shape} for {len(values)} entries."
                )
            front = 0 if found_special else token_start
            back = self.max_tokens - front - len(weights) if self.pad_to_max_tokens else 0
            padded = np.pad(weights, (front, back), constant_values=(np.average(weights) if front else 0, 0))
            self._set_idf(padded)

    def _set_tokens(self, tokens: list) -> None:
        start = self._token_start_index()
        self._tokens = list(tokens)
        self._index = {token: start + i for i, token in enumerate(self._tokens)}
        self._record_vocabulary_size()

    def _record_vocabulary_size(self) -> None:
        if self.output_mode != "int" and not self.pad_to_max_tokens:
            size = self.vocabulary_size()
            if self._frozen_vocab_size is not None and size != self._frozen_vocab_size:
                raise RuntimeError(
                    f"With `output_mode={self.output_mode!r}` and `pad_to_max_tokens=False`, the vocabulary "
                    f"size cannot change once set. Old size {self._frozen_vocab_size}, new size {size}."
                )
        self._frozen_vocab_size = self.vocabulary_size()

    def _set_idf(self, weights: np.ndarray) -> None:
        value = torch.as_tensor(np.asarray(weights), dtype=config.torch_dtype(None))
        self._buffers["idf_weights"] = Variable(
            value, trainable=False, name="idf_weights", path=f"{self.name}/idf_weights"
        )

    def _saved_variables(self) -> dict[str, torch.Tensor]:
        """This layer's variables by their key in a saved file (Keras names its IDF weights)."""
        return {"idf_weights": self._buffers["idf_weights"]} if "idf_weights" in self._buffers else {}

    # ------------------------------------------------------------------ adapt

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Builds the vocabulary from `data`: tokens sorted by frequency (ties: the larger token
        first), truncated to `max_tokens`; with `"tf_idf"`, also their document frequencies.

        Args:
            data: a list or array (each row is one document), or an iterable of batches.
            steps: the number of batches to read from an iterable.
        """
        self.reset_state()
        if isinstance(data, (list, tuple)):
            data = host_array(data, self._string_tokens)
        whole, batches = adapt_batches(data, None, steps)
        if whole is not None:
            whole = host_array(whole, self._string_tokens)
            batches = iter([whole[:, None] if whole.ndim == 1 else whole])
        for batch in batches:
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        """Counts the tokens of one batch (a rank-1 batch is one document)."""
        array = host_array(data, self._string_tokens)
        if array.ndim < 2:
            array = array.reshape(1, -1)
        self._count_documents([self._clean_tokens(row) for row in array.reshape(len(array), -1)])

    def _count_documents(self, documents: list[list]) -> None:
        """Adds each document's tokens (and, for `"tf_idf"`, its distinct tokens) to the counts."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via the `vocabulary` "
                "argument or `set_vocabulary()`."
            )
        for document in documents:
            self._token_counts.update(document)
            if self.output_mode == "tf_idf":
                self._document_counts.update(set(document))
        self._num_documents += len(documents)

    def finalize_state(self) -> None:
        if self._has_input_vocabulary or not self._token_counts:
            if self._frozen_vocab_size is None:
                self._record_vocabulary_size()
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        ordered = sorted(counts, key=lambda token: (counts[token], token), reverse=True)
        if self.max_tokens:
            ordered = ordered[: self.max_tokens - self._token_start_index()]
        if self.output_mode == "tf_idf":
            frequencies = np.array([self._document_counts[t] for t in ordered], dtype="float64")
            idf = np.log(1 + self._num_documents / (1 + frequencies)).astype("float32")
            back = self.max_tokens - self._token_start_index() - len(idf) if self.pad_to_max_tokens else 0
            mean = float(np.mean(idf)) if len(idf) else 0.0
            self._set_idf(np.pad(idf, (self._token_start_index(), back), constant_values=(mean, 0)))
        self._set_tokens(ordered)
        self.reset_state()

    def reset_state(self) -> None:
        self._token_counts: collections.Counter = collections.Counter()
        self._document_counts: collections.Counter = collections.Counter()
        self._num_documents = 0

    # ------------------------------------------------------------------- call

    def _lookup(self, array: np.ndarray) -> np.ndarray:
        """Token -> index for every element of a NumPy array."""
        flat = self._clean_tokens(array.reshape(-1)) if array.size else []
        if not self.num_oov_indices:
            missing = [token for token in flat if token not in self._index and token != self.mask_token]
            if missing:
                raise ValueError(
                    "When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values "
                    f"{missing[:20]}, consider setting `num_oov_indices=1`."
                )
        default = self._oov_start_index() if self.num_oov_indices == 1 else -1
        indices = np.array([self._index.get(token, default) for token in flat], dtype=np.int64).reshape(
            array.shape
        )
        if self.num_oov_indices > 1:
            out_of_vocabulary = indices == -1
            if out_of_vocabulary.any():
                indices[out_of_vocabulary] = self._oov_start_index() + self._oov_buckets(
                    array[out_of_vocabulary]
                )
        if self.mask_token is not None:
            mask_value = 0 if self.output_mode == "int" else np.iinfo(np.int64).max
            indices[
                np.array([token == self.mask_token for token in flat], dtype=bool).reshape(array.shape)
            ] = mask_value
        return indices

    def _oov_buckets(self, values: np.ndarray) -> np.ndarray:
        if not self._string_tokens and self.oov_method != "farmhash":
            return np.mod(values.astype(np.int64), self.num_oov_indices)
        return hash_buckets(as_strings(values), self.num_oov_indices, self.salt)

    def _invert(self, array: np.ndarray) -> np.ndarray:
        tokens = self.get_vocabulary()
        flat = array.reshape(-1).astype(np.int64)
        out = [
            tokens[i] if self._token_start_index() <= i < len(tokens) else self.oov_token
            for i in flat.tolist()
        ]
        if self.mask_token is not None:
            out = [self.mask_token if i == 0 else token for i, token in zip(flat.tolist(), out)]
        return np.array(out, dtype=object if self._string_tokens else np.int64).reshape(array.shape)

    def call(self, inputs: Any) -> Any:
        array = host_array(inputs, self._string_tokens and not self.invert)
        if self.invert:
            result = self._invert(array)
            return (
                result if self._string_tokens else torch.as_tensor(result, device=self._device_anchor.device)
            )
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you must set "
                "the "
                "layer's vocabulary before calling it: pass `vocabulary` or call `adapt()` first."
            )
        indices = torch.as_tensor(self._lookup(array), device=self._device_anchor.device)
        if self.output_mode == "int":
            return indices
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        dtype = config.torch_dtype(None)
        outputs = encode_categorical(indices, mode, depth, dtype)
        if self.output_mode == "tf_idf":
            outputs = outputs * self._buffers["idf_weights"].to(outputs.device)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "one_hot" and not (len(input_shape) > 1 and input_shape[-1] == 1):
            return (*input_shape, depth)
        return (*input_shape[:-1], depth)

    def compute_output_spec(self, inputs: Any, **kwargs: Any) -> KerasTensor:
        if self.invert:
            dtype = "string" if self._string_tokens else "int64"
        else:
            dtype = "int64" if self.output_mode == "int" else config.floatx()
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    # ------------------------------------------------------------- saving

    def _asset_files(self) -> dict[str, bytes]:
        """What Keras writes to the model file's assets: the vocabulary, unless it is in the config."""
        if self.input_vocabulary is not None:
            return {}
        return {"vocabulary.txt": "\n".join(str(token) for token in self.get_vocabulary()).encode("utf-8")}

    def _load_asset_files(self, files: dict[str, bytes]) -> None:
        if self.input_vocabulary is not None:
            return
        if "vocabulary.txt" not in files:
            raise ValueError(
                f"the file holds no vocabulary for layer '{self.name}' (assets/.../vocabulary.txt)"
            )
        lines = files["vocabulary.txt"].decode("utf-8").splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        if len(lines) > MAX_VOCABULARY_SIZE:
            raise ValueError(
                f"the vocabulary of layer '{self.name}' has {len(lines)} entries, over the limit"
            )
        values = lines if self._string_tokens else [int(line) for line in lines]
        if not values:
            return
        idf = self._buffers["idf_weights"].detach().cpu().numpy() if self.output_mode == "tf_idf" else None
        self.set_vocabulary(values, idf_weights=idf)

    def get_config(self) -> dict:
        def plain(value: Any) -> Any:
            if isinstance(value, torch.Tensor):
                value = value.detach().cpu().numpy()
            return value.tolist() if isinstance(value, np.ndarray) else value

        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": plain(self.input_idf_weights),
            "vocabulary": plain(self.input_vocabulary),
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }

    @classmethod
    def from_config(cls, config: dict) -> IndexLookup:
        vocabulary = config.get("vocabulary")
        if isinstance(vocabulary, str):
            raise ValueError(
                f"{cls.__name__}: a config may not name a vocabulary file ({vocabulary[:200]!r}); loading "
                "never "
                "reads files outside the model file. Pass the vocabulary itself."
            )
        if isinstance(vocabulary, list) and len(vocabulary) > MAX_VOCABULARY_SIZE:
            raise ValueError(
                f"{cls.__name__}: the config's vocabulary has {len(vocabulary)} entries, over the limit"
            )
        return cls(**config)
