"""Encodings of integer class ids (`keras.ops.nn`): one-hot and multi-hot."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.ops._convert import ArrayLike, tensor, to_torch_dtype
from torchkeras.ops._symbolic import symbolic_op

__all__ = ["multi_hot", "one_hot"]


def one_hot(
    x: ArrayLike, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False
) -> torch.Tensor:
    """One-hot encodes the integer tensor `x` with `num_classes` entries along a new `axis`.

    Values outside `[0, num_classes)` (e.g. -1 for padding) encode as all zeros. The result is floatx
    unless `dtype` is given.
    """
    if sparse:
        raise ValueError("`sparse=True` is not supported by torchkeras. Received: sparse=True")
    x = tensor(x)
    if x.dtype.is_floating_point:
        x = x.long()
    classes = torch.arange(num_classes, device=x.device)
    encoded = torch.eq(torch.unsqueeze(x, -1), classes).to(to_torch_dtype(dtype))
    if axis == -1 or axis == x.ndim:
        return encoded
    return torch.movedim(encoded, -1, axis)


@symbolic_op
def multi_hot(
    inputs: ArrayLike,
    num_classes: int | None = None,
    axis: int = -1,
    dtype: Any = None,
    sparse: bool = False,
    **kwargs: Any,
) -> torch.Tensor:
    """Multi-hot encodes integer `inputs`: 1 at every class that occurs in a sample.

    A rank-1 `inputs` is one sample; a higher rank holds a batch on axis 0, and the ids of each
    sample are merged into one encoding.

    Args:
        inputs: int tensor of class ids.
        num_classes: the number of classes (`num_tokens` is accepted as its legacy name).
        axis: where the class axis goes in the one-hot encoding before the merge.
        dtype: output dtype; floatx by default.
        sparse: not supported on torch; must be falsy.
    """
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if kwargs:
        raise TypeError(f"multi_hot() got unexpected keyword arguments: {sorted(kwargs)}")
    if num_classes is None:
        raise ValueError("`num_classes` must be given. Received: num_classes=None")
    x = tensor(inputs)
    encoded = one_hot(x.to(torch.int32), num_classes, axis=axis, dtype=dtype, sparse=sparse)
    return torch.amax(encoded, dim=1 if x.ndim > 1 else 0)
