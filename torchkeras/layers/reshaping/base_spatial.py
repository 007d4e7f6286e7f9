"""`SpatialLayer`: what cropping, zero-padding and up-sampling layers share.

A spatial layer acts on the `rank` spatial axes of `(batch, *spatial, channels)` inputs
(channels_last) or `(batch, channels, *spatial)` inputs (channels_first).
"""

from __future__ import annotations

from typing import Any

from torchkeras import config
from torchkeras.layers.layer import Layer
from torchkeras.utils.validation import check_choice, invalid

__all__ = ["SpatialLayer", "standardize_pairs", "standardize_sizes"]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pair(value: Any, argument: str, owner: str) -> tuple[int, int]:
    if _is_int(value):
        value = (value, value)
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(_is_int(v) and v >= 0 for v in value)
    ):
        raise invalid(argument, "must be a non-negative int or a pair of non-negative ints", value, owner)
    return (int(value[0]), int(value[1]))


def standardize_pairs(value: Any, rank: int, argument: str, owner: str) -> tuple[tuple[int, int], ...]:
    """`(before, after)` amounts for each of `rank` axes, from an int, `rank` ints or `rank` pairs
    (for `rank=1`: an int or one pair)."""
    if rank == 1 and isinstance(value, (list, tuple)) and len(value) == 2:
        value = (value,)
    if _is_int(value):
        value = (value,) * rank
    if not isinstance(value, (list, tuple)) or len(value) != rank:
        raise invalid(
            argument, f"must be an int or a tuple of {rank} ints or {rank} pairs of ints", value, owner
        )
    return tuple(_pair(v, argument, owner) for v in value)


def standardize_sizes(value: Any, rank: int, argument: str, owner: str) -> tuple[int, ...]:
    """`rank` positive ints from an int or a tuple of `rank` ints."""
    sizes = (value,) * rank if _is_int(value) else value
    if (
        not isinstance(sizes, (list, tuple))
        or len(sizes) != rank
        or not all(_is_int(s) and s > 0 for s in sizes)
    ):
        raise invalid(argument, f"must be a positive int or a tuple of {rank} positive ints", value, owner)
    return tuple(int(s) for s in sizes)


class SpatialLayer(Layer):
    """Base of the layers acting on the `rank` spatial axes of their inputs.

    Args:
        data_format: `"channels_last"` or `"channels_first"`; `image_data_format()` by default.
        **kwargs: base `Layer` arguments.
    """

    rank: int = 0

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = check_choice(
            data_format or config.image_data_format(),
            ("channels_last", "channels_first"),
            "data_format",
            self._owner,
        )
        self.built = True

    @property
    def _owner(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    @property
    def _spatial_axes(self) -> tuple[int, ...]:
        first = 2 if self.data_format == "channels_first" else 1
        return tuple(range(first, first + self.rank))

    def _check_rank(self, shape: Any) -> None:
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{self._owner}: expected inputs of rank {self.rank + 2}. "
                f"Received: inputs.shape={tuple(shape)}"
            )
