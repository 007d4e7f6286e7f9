"""Mixed precision: a global dtype policy that runs the model under `torch.autocast`.

`set_global_policy("mixed_float16")` (or `"mixed_bfloat16"`) keeps weights in float32 and runs
the computations in the lower precision through one autocast context; `fit` adds a gradient
scaler for float16.
"""

from __future__ import annotations

import functools

import torch

from torchkeras import config

__all__ = [
    "DTypePolicy",
    "FloatDTypePolicy",
    "Policy",
    "dtype_policy",
    "global_policy",
    "set_dtype_policy",
    "set_global_policy",
]

_MIXED = ("mixed_float16", "mixed_bfloat16")
_GLOBAL_POLICY: DTypePolicy | None = None


class DTypePolicy:
    """A dtype policy: the dtype of a layer's weights and the dtype of its computations.

    Args:
        name: `"float32"` (or another float type), `"mixed_float16"` or `"mixed_bfloat16"`.
    """

    def __init__(self, name: str | None = None):
        name = name or config.floatx()
        if name not in _MIXED:
            name = config.standardize_dtype(name)
        self.name = name

    @property
    def quantization_mode(self) -> None:
        """The quantization mode: always `None` (torchkeras has no quantized policies)."""
        return None

    @property
    def variable_dtype(self) -> str:
        return "float32" if self.name in _MIXED else self.name

    @property
    def compute_dtype(self) -> str:
        return self.name.removeprefix("mixed_")

    @property
    def is_mixed(self) -> bool:
        return self.name in _MIXED

    def autocast_dtype(self) -> torch.dtype | None:
        """The dtype autocast should use, or None for full precision."""
        return getattr(torch, self.compute_dtype) if self.is_mixed else None

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config_dict: dict) -> DTypePolicy:
        return cls(**config_dict)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self.name}">'

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


class FloatDTypePolicy(DTypePolicy):
    """A float (or mixed float) dtype policy; the same as `DTypePolicy`, kept as Keras's name."""


Policy = DTypePolicy


def set_global_policy(policy: str | DTypePolicy | None) -> None:
    """Sets the default policy of layers created from now on (and of `fit`'s autocast)."""
    global _GLOBAL_POLICY
    if policy is None:
        _GLOBAL_POLICY = None
        return
    _GLOBAL_POLICY = policy if isinstance(policy, DTypePolicy) else DTypePolicy(policy)


def global_policy() -> DTypePolicy:
    """The current global policy (floatx when none was set)."""
    if _GLOBAL_POLICY is not None:
        return _GLOBAL_POLICY
    return _default_policy(config.floatx())


@functools.cache
def _default_policy(floatx: str) -> DTypePolicy:
    return DTypePolicy(floatx)  # read on every step: made once per floatx


set_dtype_policy = set_global_policy
dtype_policy = global_policy
