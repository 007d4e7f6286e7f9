"""`CategoryEncoding`: encodes integer features as one-hot, multi-hot or count vectors."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config
from torchkeras.layers.layer import Layer
from torchkeras.layers.preprocessing.encoding import OUTPUT_MODES, encode_categorical
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_choice, invalid

__all__ = ["CategoryEncoding"]


@register_builtin
class CategoryEncoding(Layer):
    """Encodes integer categories in `[0, num_tokens)` as dense vectors of size `num_tokens`.

    Values outside the range (e.g. negative ones) give all-zero rows; no error is raised, so the
    layer never reads values back from the device.

    Args:
        num_tokens: the number of categories; inputs must lie in `[0, num_tokens)`.
        output_mode: `"multi_hot"` (the default; `"binary"` is an alias): one vector per
            sample with a 1 for every category present; `"one_hot"`: one vector per value;
            `"count"`: one vector per sample counting each category.
        sparse: sparse outputs are not supported on torch; must be `False`.

    Call arguments:
        inputs: integer tensor of rank 0, 1 (one sample) or 2 `(batch, values)`.
        count_weights: optional weights, shaped like `inputs`, summed instead of counts
            (`output_mode="count"` only).

    Output shape:
        `(batch, num_tokens)`; for `"one_hot"` the input shape (without a trailing 1) plus
        `num_tokens`.

    Example:
    ```python
    layer = keras.layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")
    layer([[0, 1], [0, 0], [1, 2], [3, 1]])
    ```
    """

    def __init__(
        self,
        num_tokens: int | None = None,
        output_mode: str = "multi_hot",
        sparse: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        owner = f"CategoryEncoding '{self.name}'"
        if output_mode == "binary":
            output_mode = "multi_hot"
        self.output_mode = check_choice(output_mode, OUTPUT_MODES, "output_mode", owner)
        if num_tokens is None:
            raise ValueError(
                f"{owner}: `num_tokens` must be set to use this layer. If the number of tokens is not "
                "known beforehand, use the IntegerLookup layer instead."
            )
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, int) or num_tokens < 1:
            raise invalid("num_tokens", "must be >= 1", num_tokens, owner)
        if sparse:
            raise invalid(
                "sparse", "must be False (sparse outputs are not supported on torch)", sparse, owner
            )
        self.num_tokens = num_tokens
        self.sparse = sparse
        self.built = True

    def call(self, inputs: torch.Tensor, count_weights: Any = None) -> torch.Tensor:
        dtype = config.torch_dtype(self.dtype)
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    f"CategoryEncoding '{self.name}': `count_weights` is only used when "
                    f"`output_mode='count'`. Received: output_mode={self.output_mode!r}"
                )
            count_weights = torch.as_tensor(count_weights, device=inputs.device).to(
                config.torch_dtype(self.compute_dtype)
            )
        return encode_categorical(
            torch.as_tensor(inputs), self.output_mode, self.num_tokens, dtype, count_weights
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        input_shape = tuple(input_shape)
        if not input_shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot":
            if input_shape[-1] != 1 or len(input_shape) == 1:
                return (*input_shape, self.num_tokens)
            return (*input_shape[:-1], self.num_tokens)
        return (*input_shape[:-1], self.num_tokens)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}
