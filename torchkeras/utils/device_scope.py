"""`keras.device`: a scope placing the tensors and variables created inside it on a device."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["device"]


@contextlib.contextmanager
def device(device_name: str) -> Iterator[torch.device]:
    """Places the tensors and variables created inside the scope on `device_name`.

    Args:
        device_name: `"cpu"`, `"gpu"`, `"gpu:1"` (Keras's names; `"gpu"` means CUDA), or any
            torch device string (`"cuda:0"`, `"mps"`, `"meta"`).

    Returns:
        A context manager yielding the `torch.device`.

    Example:
    ```python
    with keras.device("cpu"):
        layer = keras.layers.Dense(4)
        layer.build((None, 8))  # weights on the CPU
    ```
    """
    if not isinstance(device_name, str):
        raise ValueError(
            "Argument `device_name` must be a string like 'gpu:0' or 'cpu'. "
            f"Received: device_name={device_name!r}"
        )
    name = device_name.lower().replace("gpu", "cuda")
    try:
        target = torch.device(name)
    except RuntimeError as error:
        raise ValueError(
            f"Argument `device_name` must name a device like 'gpu:0' or 'cpu'. Received: {device_name!r}"
        ) from error
    with target:
        yield target
