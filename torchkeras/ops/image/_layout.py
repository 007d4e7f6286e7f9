"""Image batches in and out: one image or a batch, channels last or first."""

from __future__ import annotations

import torch

from torchkeras.ops._convert import ArrayLike, tensor
from torchkeras.ops.nn.convolution import data_format_of

__all__ = ["ImageBatch"]


class ImageBatch:
    """`images` (rank 3 or 4, in `data_format`) as a channels-last or channels-first batch, and
    the way back to the caller's layout.

    Args:
        images: one image or a batch.
        data_format: `"channels_last"`, `"channels_first"` or None (`config.image_data_format()`).
        argument: the argument's name, for errors.
    """

    def __init__(self, images: ArrayLike, data_format: str | None, argument: str = "images"):
        images = tensor(images)
        if images.ndim not in (3, 4):
            raise ValueError(
                f"`{argument}` must have rank 3 (one image) or 4 (a batch). "
                f"Received: {argument}.shape={tuple(images.shape)}"
            )
        self.data_format = data_format_of(data_format)
        self.unbatched = images.ndim == 3
        self.images = images[None] if self.unbatched else images

    def channels_last(self) -> torch.Tensor:
        """The batch as `(N, H, W, C)`."""
        return self.images if self.data_format == "channels_last" else self.images.permute(0, 2, 3, 1)

    def channels_first(self) -> torch.Tensor:
        """The batch as `(N, C, H, W)`."""
        return self.images if self.data_format == "channels_first" else self.images.permute(0, 3, 1, 2)

    def from_channels_last(self, batch: torch.Tensor) -> torch.Tensor:
        """`(N, H, W, C)` back to the caller's layout and rank."""
        if self.data_format == "channels_first":
            batch = batch.permute(0, 3, 1, 2)
        return batch[0] if self.unbatched else batch

    def from_channels_first(self, batch: torch.Tensor) -> torch.Tensor:
        """`(N, C, H, W)` back to the caller's layout and rank."""
        if self.data_format == "channels_last":
            batch = batch.permute(0, 2, 3, 1)
        return batch[0] if self.unbatched else batch

    @property
    def channel_axis(self) -> int:
        """The channel axis of the caller's tensor (negative)."""
        return -1 if self.data_format == "channels_last" else -3
