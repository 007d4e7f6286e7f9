"""Integer categories -> one-hot, multi-hot or count vectors (shared by `CategoryEncoding` and
`Discretization`)."""

from __future__ import annotations

import torch

__all__ = ["OUTPUT_MODES", "encode_categorical"]

OUTPUT_MODES = ("multi_hot", "one_hot", "count")


def _one_hot(indices: torch.Tensor, depth: int, dtype: torch.dtype) -> torch.Tensor:
    # A comparison instead of `F.one_hot`: no host-side range check (no device sync), and
    # values outside [0, depth) give all-zero rows.
    classes = torch.arange(depth, device=indices.device)
    return (indices.long().unsqueeze(-1) == classes).to(dtype)


def encode_categorical(
    inputs: torch.Tensor,
    output_mode: str,
    depth: int,
    dtype: torch.dtype,
    count_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Encodes integer `inputs` as Keras does.

    - `"one_hot"`: each value becomes a vector of size `depth` (a trailing axis of size 1 is
      replaced by the encoding axis);
    - `"multi_hot"` / `"count"`: the values of each sample (axis 1, or axis 0 for rank-1
      inputs, which are one sample) are merged into one vector marking / counting them,
      weighted by `count_weights` for `"count"`;
    - `"int"`: the values cast to `dtype`.
    """
    if output_mode == "int":
        return inputs.to(dtype)
    if inputs.ndim == 0:
        inputs = inputs.unsqueeze(-1)
    if output_mode == "one_hot":
        if inputs.ndim > 1 and inputs.shape[-1] == 1:
            inputs = inputs.squeeze(-1)
        return _one_hot(inputs, depth, dtype)
    sample_axis = 1 if inputs.ndim > 1 else 0
    if output_mode == "multi_hot":
        return _one_hot(inputs, depth, dtype).amax(dim=sample_axis)
    if count_weights is not None:
        encoded = _one_hot(inputs, depth, count_weights.dtype) * count_weights.unsqueeze(-1)
    else:
        encoded = _one_hot(inputs, depth, dtype)
    return encoded.sum(dim=sample_axis)
