"""Turns logs (dicts of tensors and numbers) into plain Python values, with one host sync.

The one place device values become Python values: progress bars call it when they redraw,
callbacks when an epoch ends.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch

from torchkeras.utils.nest import to_numpy

__all__ = ["format_log_value", "pythonify_logs"]


def pythonify_logs(logs: dict[str, Any] | None) -> dict[str, Any]:
    """Returns a new dict: nested dicts flattened, keys sorted, values made Python-native.

    0-dim tensors become floats through a single device-to-host copy for the whole
    dict; other tensors become NumPy arrays; anything `float()` accepts becomes a
    float; the rest is kept as is.
    """
    flat = _flatten(logs or {})
    scalars = [key for key, value in flat.items() if isinstance(value, torch.Tensor) and value.ndim == 0]
    if scalars:
        flat.update(zip(scalars, _scalars_to_floats([flat[key] for key in scalars])))
    for key, value in flat.items():
        if isinstance(value, torch.Tensor):
            flat[key] = to_numpy(value)
        elif not isinstance(value, float):
            with contextlib.suppress(TypeError, ValueError):
                flat[key] = float(value)
    return flat


def format_log_value(value: Any) -> str:
    """Formats a log value as Keras's progress bar does: `0.1234`, or `1.2340e-04` when tiny."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _flatten(logs: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            flat.update(_flatten(value))
        else:
            flat[key] = value
    return flat


def _scalars_to_floats(tensors: list[torch.Tensor]) -> list[float]:
    devices = {tensor.device for tensor in tensors}
    if len(devices) > 1:
        return [float(tensor) for tensor in tensors]
    dtype = torch.float32 if next(iter(devices)).type == "mps" else torch.float64
    return torch.stack([tensor.detach().to(dtype) for tensor in tensors]).tolist()
