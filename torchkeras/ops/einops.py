"""`rearrange` (`keras.ops.rearrange`): einops-style axis reordering, splitting and merging."""

from __future__ import annotations

import math
import re
from typing import Any

import torch

from torchkeras.ops._convert import ArrayLike
from torchkeras.ops._convert import tensor as _tensor
from torchkeras.ops._symbolic import symbolic_op

__all__ = ["rearrange"]

_TOKEN = re.compile(r"\(([^()]*)\)|(\w+)")


def _groups(side: str) -> list[list[str]]:
    """`"b (h w) c"` -> `[["b"], ["h", "w"], ["c"]]`."""
    groups = []
    for grouped, single in _TOKEN.findall(side):
        groups.append(grouped.split() if grouped or not single else [single])
    return groups


@symbolic_op
def rearrange(tensor: ArrayLike, pattern: str, **axes_lengths: int) -> torch.Tensor:
    """Reorders, splits and merges axes by an einops pattern.

    Example: `rearrange(x, "b (h w) c -> b h w c", h=4)` splits axis 1 into `h` and `w`;
    `rearrange(x, "b h w c -> b c (h w)")` moves channels first and merges `h` and `w`.

    Args:
        tensor: the input.
        pattern: `"<input axes> -> <output axes>"`; parentheses group axes merged into one.
        **axes_lengths: sizes of split axes that the input shape cannot tell.
    """
    x = _tensor(tensor)
    if "->" not in pattern:
        raise ValueError(f"`pattern` must look like 'b h w -> b w h'. Received: pattern={pattern!r}")
    left, right = (_groups(side) for side in pattern.split("->"))
    if len(left) != x.ndim:
        raise ValueError(
            f"`pattern` names {len(left)} input axes; the tensor has {x.ndim}. Received: {pattern!r}"
        )
    names_in = [name for group in left for name in group]
    names_out = [name for group in right for name in group]
    if sorted(names_in) != sorted(names_out) or len(set(names_in)) != len(names_in):
        raise ValueError(f"Both sides of `pattern` must name the same axes once each. Received: {pattern!r}")
    sizes: dict[str, Any] = {}
    for group, length in zip(left, x.shape):
        unknown = [name for name in group if name not in axes_lengths]
        known = math.prod(axes_lengths[name] for name in group if name in axes_lengths)
        if len(unknown) > 1:
            raise ValueError(f"Give the lengths of all but one of the axes {group} in `axes_lengths`.")
        for name in group:
            sizes[name] = axes_lengths[name] if name in axes_lengths else length // known
        if math.prod(sizes[name] for name in group) != length:
            raise ValueError(f"The axes {group} do not multiply to the input size {length}.")
    split = torch.reshape(x, [sizes[name] for name in names_in])
    moved = torch.permute(split, [names_in.index(name) for name in names_out])
    return torch.reshape(moved, [math.prod(sizes[name] for name in group) for group in right])
