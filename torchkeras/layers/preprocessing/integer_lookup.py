"""`IntegerLookup`: maps integer tokens to contiguous indices through a vocabulary."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.preprocessing.index_lookup import IndexLookup
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["IntegerLookup"]


@register_builtin
class IntegerLookup(IndexLookup):
    """Maps integer tokens (e.g. IDs) to contiguous indices (or back, with `invert=True`).

    Inputs are integer tensors, arrays or lists; indices come out as an int64 tensor on the
    layer's device. The vocabulary is passed or learned with `adapt()` and saved with the model.

    Args:
        max_tokens: the largest vocabulary size, special tokens included; `None` for no limit.
        num_oov_indices: indices for out-of-vocabulary values; when > 1 a value goes to
            `value % num_oov_indices` (or its hash, with `oov_method="farmhash"`).
        mask_token: a value meaning "masked", mapped to 0 in `"int"` mode; `None` for none.
        oov_token: the value `invert=True` returns for OOV indices (`-1`).
        vocabulary: a list, array or text-file path of unique integers.
        vocabulary_dtype: must be `"int64"`.
        idf_weights: IDF weights, one per vocabulary entry (`output_mode="tf_idf"` only).
        invert: map indices back to values.
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"`, `"count"` or `"tf_idf"`.
        sparse: must be `False`.
        pad_to_max_tokens: encoded outputs have `max_tokens` columns.
        oov_method: `"floormod"` or `"farmhash"`, how OOV values pick among several OOV indices.
        salt: with `oov_method="farmhash"`, hash with SipHash under this key instead.

    Example:
    ```python
    layer = keras.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
    layer(np.array([[12, 1138, 42], [42, 1000, 36]]))  # [[1, 3, 4], [4, 0, 2]]
    ```
    """

    _string_tokens = False

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        if vocabulary_dtype != "int64":
            raise invalid("vocabulary_dtype", "must be 'int64'", vocabulary_dtype, "IntegerLookup")
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=None if mask_token is None else int(mask_token),
            oov_token=None if oov_token is None else int(oov_token),
            vocabulary_dtype=vocabulary_dtype,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            oov_method=oov_method,
            name=name,
            salt=salt,
            **kwargs,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
