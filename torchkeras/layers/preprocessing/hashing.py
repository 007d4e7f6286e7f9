"""`Hashing`: maps strings or integers to a fixed number of bins by a stable hash."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.layer import Layer
from torchkeras.layers.preprocessing.encoding import encode_categorical
from torchkeras.layers.preprocessing.index_lookup import host_array
from torchkeras.layers.preprocessing.string_hashing import as_strings, hash_buckets
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_choice, invalid

__all__ = ["Hashing"]


@register_builtin
class Hashing(Layer):
    """Hashes each value (text, or integers as their decimal text) into `num_bins` bins.

    The hash is FarmHash's `Fingerprint64`, or SipHash-2-4 keyed by `salt`, exactly as Keras
    (through TensorFlow) computes it, so bins match a model prepared with Keras. Floats are
    truncated to integers first. Hashing runs on the host; bins come out as a tensor on the
    layer's device.

    Args:
        num_bins: the number of bins, the mask bin included.
        mask_value: a value that goes to bin 0 (the others then share bins 1..num_bins-1).
        salt: an int or a pair of ints: use SipHash with this key instead of FarmHash.
        output_mode: `"int"` (bin indices), `"one_hot"`, `"multi_hot"` or `"count"`.
        sparse: must be `False`.

    Example:
    ```python
    layer = keras.layers.Hashing(num_bins=3)
    layer([["A"], ["B"], ["C"], ["D"], ["E"]])  # [[1], [0], [1], [1], [2]]
    ```
    """

    _accepts_text = True

    def __init__(
        self,
        num_bins: int,
        mask_value: Any = None,
        salt: Any = None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else config.floatx()
        super().__init__(**kwargs)
        owner = f"Hashing '{self.name}'"
        if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins <= 0:
            raise invalid("num_bins", "must be a positive integer", num_bins, owner)
        output_mode = check_choice(
            output_mode, ("int", "one_hot", "multi_hot", "count"), "output_mode", owner
        )
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise invalid("dtype", "must be 'int32' or 'int64' when `output_mode='int'`", self.dtype, owner)
        if sparse:
            raise invalid(
                "sparse", "must be False (sparse outputs are not supported on torch)", sparse, owner
            )
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise invalid("salt", "must be an integer or a pair of integers", salt, owner)
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.salt = salt
        self.output_mode = output_mode
        self.sparse = sparse
        self.register_buffer("_device_anchor", torch.zeros(0), persistent=False)
        self.built = True

    def call(self, inputs: Any) -> torch.Tensor:
        values = host_array(inputs, string=not isinstance(inputs, torch.Tensor))
        if values.dtype == object and values.size and not isinstance(values.reshape(-1)[0], str):
            values = np.asarray(values.tolist())  # a list of numbers
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        indices = hash_buckets(as_strings(values), bins, self.salt)
        if mask is not None:
            indices = np.where(mask, 0, indices + 1)
        indices = torch.as_tensor(indices, device=self._device_anchor.device)
        dtype = config.torch_dtype(self.dtype)
        return encode_categorical(indices, self.output_mode, self.num_bins, dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if not input_shape:
            return (self.num_bins,)
        if self.output_mode == "one_hot" and input_shape[-1] != 1:
            return (*input_shape, self.num_bins)
        return (*input_shape[:-1], self.num_bins)

    def compute_output_spec(self, inputs: Any, **kwargs: Any) -> KerasTensor:
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.dtype)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
