"""Where and in which precision a model trains: device placement, autocast, gradient scaling."""

from __future__ import annotations

import contextlib
from typing import Any

import torch

from torchkeras.layers.layer import policy_autocast

__all__ = ["Placement", "default_device"]

_NO_AUTOCAST = contextlib.nullcontext()  # reusable: a step at full precision enters nothing


def default_device() -> torch.device:
    """CUDA when available, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class Placement:
    """Mixin of `Trainer`: the model's device (an unplaced model moves to the best device once,
    `model.to(...)` pins it) and its dtype policy's autocast and gradient scaler (`compile()`
    decides whether gradients are scaled: `"mixed_float16"` with `auto_scale_loss`)."""

    def to(self, *args: Any, **kwargs: Any) -> Any:
        self._device_pinned = True
        return super().to(*args, **kwargs)

    def cuda(self, device: Any = None) -> Any:
        self._device_pinned = True
        return super().cuda(device)

    def cpu(self) -> Any:
        self._device_pinned = True
        return super().cpu()

    @property
    def device(self) -> torch.device:
        """Where the model's parameters live."""
        for tensor in self.parameters():
            return tensor.device
        for tensor in self.buffers():
            return tensor.device
        return torch.device("cpu")

    def _training_device(self) -> torch.device:
        """The model's device; an unplaced model moves to the best available device first."""
        device = self.device
        if not self._device_pinned and device.type == "cpu":
            best = default_device()
            if best.type != "cpu":
                torch.nn.Module.to(self, best)
                device = best
            self._device_pinned = True
        return device

    def _autocast(self, device: torch.device) -> Any:
        """The step's one autocast context, from the model's own dtype policy (resolved when the
        policy was set, so nothing is looked up per step)."""
        dtype = self._autocast_dtype
        if dtype is None:
            return _NO_AUTOCAST
        return policy_autocast(device.type, dtype)

    def _scaler(self, device: torch.device) -> Any:
        if not self._scale_gradients:
            return None
        if self._grad_scaler is None:
            self._grad_scaler = torch.amp.GradScaler(device.type)
        return self._grad_scaler
