"""Unique auto names for layers and models (`dense`, `dense_1`, ...)."""

from __future__ import annotations

import collections

from torchkeras.utils.registry import to_snake_case

__all__ = ["clear_session", "get_uid", "unique_name"]

_UIDS: collections.Counter[str] = collections.Counter()


def get_uid(prefix: str) -> int:
    """Returns 1, 2, 3, ... on successive calls with the same `prefix`."""
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def unique_name(class_name: str) -> str:
    """`"Dense"` -> `"dense"`, then `"dense_1"`, `"dense_2"`, ... as Keras names layers."""
    base = to_snake_case(class_name)
    uid = get_uid(base)
    return base if uid == 1 else f"{base}_{uid - 1}"


def clear_session() -> None:
    """Resets the auto-naming counters, as `keras.backend.clear_session()` does."""
    _UIDS.clear()
