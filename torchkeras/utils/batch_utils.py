"""`pack_x_y_sample_weight`: Keras's public way to build the batch a data source yields."""

from __future__ import annotations

from typing import Any

__all__ = ["pack_x_y_sample_weight"]


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Packs user data into the form `fit` reads a batch in, as Keras does.

    Without `y`, a single `x` is returned unwrapped (a tuple `x` is wrapped as `(x,)`), and a
    `sample_weight` is dropped, as in Keras; otherwise `(x, y)` or `(x, y, sample_weight)`.

    Args:
        x: the features.
        y: optional targets.
        sample_weight: optional weights (needs `y`).

    Returns:
        `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`.
    """
    if y is None:
        return (x,) if isinstance(x, tuple) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)
