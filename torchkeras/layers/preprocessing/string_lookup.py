"""`StringLookup`: maps strings to integer indices through a vocabulary."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.preprocessing.index_lookup import IndexLookup
from torchkeras.utils.registry import register_builtin

__all__ = ["StringLookup"]


@register_builtin
class StringLookup(IndexLookup):
    """Maps strings to integer indices (or, with `invert=True`, indices back to strings).

    Strings flow as NumPy arrays (of `str`, `bytes` or objects), lists or plain strings; indices
    come out as an int64 tensor on the layer's device. The vocabulary is passed (`vocabulary`) or
    learned with `adapt()` (most frequent first) and is saved with the model.

    Args:
        max_tokens: the largest vocabulary size, special tokens included; `None` for no limit.
        num_oov_indices: indices for out-of-vocabulary strings (hashed among them when > 1).
        mask_token: a token meaning "masked", mapped to 0 in `"int"` mode; `None` for none.
        oov_token: the token `invert=True` returns for OOV indices.
        vocabulary: a list, array or text-file path of unique tokens.
        idf_weights: IDF weights, one per vocabulary entry (`output_mode="tf_idf"` only).
        invert: map indices back to strings.
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"`, `"count"` or `"tf_idf"`.
        pad_to_max_tokens: encoded outputs have `max_tokens` columns whatever the vocabulary size.
        sparse: must be `False` (no sparse tensors on torch).
        encoding: the text encoding of byte strings (`"utf-8"`).
        salt: with it, OOV strings are hashed with SipHash under this key (an int or two).

    Example:
    ```python
    layer = keras.layers.StringLookup(vocabulary=["a", "b", "c", "d"])
    layer(np.array([["a", "c", "d"], ["d", "z", "b"]]))  # [[1, 3, 4], [4, 0, 2]]
    ```
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        salt: Any = None,
        **kwargs: Any,
    ):
        kwargs.pop("vocabulary_dtype", None)
        self.encoding = encoding
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary_dtype="string",
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            name=name,
            salt=salt,
            **kwargs,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        del config["vocabulary_dtype"]
        return {**config, "encoding": self.encoding}
