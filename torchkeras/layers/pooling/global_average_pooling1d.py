"""`GlobalAveragePooling1D`: 1D global average pooling layer."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.pooling.base_global_pooling import BaseGlobalPooling
from torchkeras.utils.registry import register_builtin

__all__ = ["GlobalAveragePooling1D", "GlobalAvgPool1D"]


@register_builtin
class GlobalAveragePooling1D(BaseGlobalPooling):
    """1D global average pooling: the average over all steps, channel by channel.

    Args:
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        keepdims: whether to keep the spatial axes, with size 1 (default `False`).
        **kwargs: base `Layer` arguments (`name`, `dtype`, `trainable`, ...).

    Call arguments:
        inputs: a 3D tensor.
        mask: optional boolean tensor `(batch_size, steps)`; masked steps are left out of the
            average (it arrives on its own from a masking layer such as `Embedding(mask_zero=True)`).

    Input shape:
        `(batch_size, steps, channels)` with `"channels_last"`, or
        `(batch_size, channels, steps)` with `"channels_first"`.

    Output shape:
        `(batch_size, channels)`, or with `keepdims=True`
        `(batch_size, 1, channels)` (`"channels_last"`) /
        `(batch_size, channels, 1)` (`"channels_first"`).

    Example:
    ```python
    x = np.random.rand(4, 10, 3).astype("float32")
    y = keras.layers.GlobalAveragePooling1D()(x)  # shape (4, 3)
    ```
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(1, "average", data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            return super().call(inputs)
        self.check_rank(inputs.shape)
        mask = mask.unsqueeze(-1 if self.data_format == "channels_last" else 1).bool()
        total = torch.where(mask, inputs, 0).sum(dim=self.spatial_axes, keepdim=self.keepdims)
        count = mask.to(inputs.dtype).sum(dim=self.spatial_axes, keepdim=self.keepdims)
        return total / count

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> None:
        return None


GlobalAvgPool1D = GlobalAveragePooling1D
register_builtin(GlobalAveragePooling1D, "GlobalAvgPool1D")
