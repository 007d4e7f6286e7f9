"""`HashedCrossing`: crosses categorical features into hashed bins."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.layer import Layer
from torchkeras.layers.preprocessing.encoding import encode_categorical
from torchkeras.layers.preprocessing.index_lookup import host_array
from torchkeras.layers.preprocessing.string_hashing import cross_hashed
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_choice, invalid

__all__ = ["HashedCrossing"]


@register_builtin
class HashedCrossing(Layer):
    """Crosses two or more categorical features (integers or strings) and hashes each
    combination into `num_bins` bins, with TensorFlow's `sparse.cross_hashed` values (as Keras).

    Args:
        num_bins: the number of hash bins.
        output_mode: `"int"` (bin indices) or `"one_hot"`.
        sparse: must be `False`.

    Call arguments:
        inputs: a list or tuple of at least two features of equal shape `()`, `(batch,)` or
            `(batch, 1)`: integer tensors or arrays, or string arrays.

    Example:
    ```python
    layer = keras.layers.HashedCrossing(num_bins=5)
    layer((np.array(["A", "B", "A"]), np.array([101, 101, 102])))
    ```
    """

    _accepts_text = True

    def __init__(
        self,
        num_bins: int,
        output_mode: str = "int",
        sparse: bool = False,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        owner = f"HashedCrossing '{self.name}'"
        if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins <= 0:
            raise invalid("num_bins", "must be a positive integer", num_bins, owner)
        self.output_mode = check_choice(output_mode, ("int", "one_hot"), "output_mode", owner)
        if sparse:
            raise invalid(
                "sparse", "must be False (sparse outputs are not supported on torch)", sparse, owner
            )
        self.num_bins = num_bins
        self.sparse = sparse
        self.register_buffer("_device_anchor", torch.zeros(0), persistent=False)
        self.built = True

    def call(self, inputs: Any) -> torch.Tensor:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(
                "`HashedCrossing` should be called on a list or tuple of at least two inputs. "
                f"Received: inputs={inputs!r}"
            )
        arrays = [host_array(x, string=not isinstance(x, torch.Tensor)) for x in inputs]
        arrays = [
            a if a.dtype != object or isinstance(a.reshape(-1)[0], str) else a.astype("int64") for a in arrays
        ]
        shape = arrays[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(
                "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or `(batch_size, 1)`. "
                f"Received shapes {[a.shape for a in arrays]}"
            )
        if any(a.shape != shape for a in arrays[1:]):
            raise ValueError(
                f"All `HashedCrossing` inputs should have equal shape. Received {[a.shape for a in arrays]}"
            )
        if any(a.dtype.kind not in "iuOUS" for a in arrays):
            raise ValueError(
                "All `HashedCrossing` inputs should have an integer or string dtype. "
                f"Received dtypes {[str(a.dtype) for a in arrays]}"
            )
        bins = cross_hashed([a.reshape(-1) for a in arrays], self.num_bins).reshape(shape)
        indices = torch.as_tensor(bins, device=self._device_anchor.device)
        return encode_categorical(
            indices, self.output_mode, self.num_bins, config.torch_dtype(self.compute_dtype)
        )

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2:
            raise ValueError(
                f"Expected as input a list/tuple of 2 tensors. Received input_shape={input_shape}"
            )
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if not first:
            return (self.num_bins,)
        if first[-1] != 1:
            return (*first, self.num_bins)
        return (*first[:-1], self.num_bins)

    def compute_output_spec(self, inputs: Any, **kwargs: Any) -> KerasTensor:
        shape = self.compute_output_shape([tuple(x.shape) for x in inputs])
        return KerasTensor(shape, dtype=self.compute_dtype)

    def get_config(self) -> dict:
        return {
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }
