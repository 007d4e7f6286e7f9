"""Initializers that need no randomness: Zeros, Ones, Constant, Identity, STFT."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.initializers.initializer import Initializer
from torchkeras.utils import nest
from torchkeras.utils.validation import check_choice, invalid

__all__ = ["STFT", "Constant", "Identity", "Ones", "Zeros"]

Device = str | torch.device | None
DType = str | torch.dtype | None


class Zeros(Initializer):
    """Fills the tensor with zeros.

    Example:
    ```python
    values = torchkeras.initializers.Zeros()(shape=(2, 2))
    ```
    """

    def __call__(self, shape: Sequence[int], dtype: DType = None, device: Device = None) -> torch.Tensor:
        return torch.zeros(tuple(shape), dtype=config.torch_dtype(dtype), device=device)


class Ones(Initializer):
    """Fills the tensor with ones."""

    def __call__(self, shape: Sequence[int], dtype: DType = None, device: Device = None) -> torch.Tensor:
        return torch.ones(tuple(shape), dtype=config.torch_dtype(dtype), device=device)


class Constant(Initializer):
    """Fills the tensor with `value`, a scalar or an array that broadcasts to the shape.

    Args:
        value: a Python number, or an array-like broadcastable to the requested shape.
    """

    def __init__(self, value: Any = 0.0):
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: DType = None, device: Device = None) -> torch.Tensor:
        dtype = config.torch_dtype(dtype)
        if isinstance(self.value, (int, float, bool)):
            return torch.full(tuple(shape), self.value, dtype=dtype, device=device)
        value = nest.to_tensor(self.value, dtype=dtype, device=device)
        return torch.broadcast_to(value, tuple(shape)).clone()

    def get_config(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, (torch.Tensor, np.ndarray, np.generic)):
            kind = "__tensor__" if isinstance(value, torch.Tensor) else "__numpy__"
            array = nest.to_numpy(value) if kind == "__tensor__" else np.asarray(value)
            value = {"class_name": kind, "config": {"value": array.tolist(), "dtype": str(array.dtype)}}
        return {"value": value}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constant:
        value = config.get("value", 0.0)  # so that get("constant") works (Keras raises KeyError)
        if isinstance(value, dict) and value.get("class_name") in ("__numpy__", "__tensor__"):
            array = np.asarray(value["config"]["value"], dtype=value["config"]["dtype"])
            value = torch.from_numpy(array) if value["class_name"] == "__tensor__" else array
        return cls(value)


class Identity(Initializer):
    """Fills a 2D tensor with `gain` times the identity matrix (ones on the main diagonal).

    Args:
        gain: multiplicative factor applied to the identity matrix.
    """

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: DType = None, device: Device = None) -> torch.Tensor:
        if len(shape) != 2:
            raise invalid("shape", "must have rank 2 for the Identity initializer", tuple(shape))
        return self.gain * torch.eye(*shape, dtype=config.torch_dtype(dtype), device=device)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


_WINDOWS = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "bartlett": torch.bartlett_window,
    "boxcar": lambda length, periodic: torch.ones(length, dtype=torch.float64),
}


class STFT(Initializer):
    """Initializer for the kernel of a convolution computing a short-time Fourier transform.

    The kernel has shape `(frame_length, input_channels, fft_length)`: the real (cosine) or
    imaginary (sine) DFT basis, multiplied by a window and divided by a scaling factor.

    Args:
        side: `"real"` for the cosine part, `"imag"` for the sine part.
        window: `None`, a window name (`"hann"`, `"hamming"`, `"blackman"`, `"bartlett"`,
            `"boxcar"`) or an array of length `frame_length`.
        scaling: `"density"` (divide by the window's L2 norm), `"spectrum"` (by its sum), or `None`.
        periodic: if `True` use a periodic window (as for spectral analysis), else a symmetric one.
    """

    def __init__(
        self, side: str = "real", window: Any = "hann", scaling: str | None = "density", periodic=False
    ):
        self.side = check_choice(side, ("real", "imag"), "side", "STFT")
        if isinstance(window, str):
            window = check_choice(window, tuple(_WINDOWS), "window", "STFT")
        if scaling is not None:
            scaling = check_choice(scaling, ("density", "spectrum"), "scaling", "STFT")
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape: Sequence[int], dtype: DType = None, device: Device = None) -> torch.Tensor:
        if len(shape) != 3:
            raise invalid(
                "shape", "must be (frame_length, input_channels, fft_length) for STFT", tuple(shape)
            )
        frame_length, _, fft_length = shape
        time = torch.arange(frame_length, dtype=torch.float64).reshape(frame_length, 1, 1)
        freq = torch.arange(fft_length, dtype=torch.float64).reshape(1, 1, fft_length) / (
            (fft_length - 1) * 2
        )
        angles = -2.0 * math.pi * time * freq
        kernel = torch.cos(angles) if self.side == "real" else torch.sin(angles)
        if self.window is not None:
            if isinstance(self.window, str):
                window = _WINDOWS[self.window](frame_length, periodic=bool(self.periodic)).double()
            else:
                window = nest.to_tensor(self.window, dtype=torch.float64).reshape(-1)
            if window.shape[0] != frame_length:
                raise invalid("window", f"must have length frame_length={frame_length}", tuple(window.shape))
            window = window.reshape(frame_length, 1, 1)
            kernel = kernel * window
            if self.scaling == "density":
                kernel = kernel / window.square().sum().sqrt()
            elif self.scaling == "spectrum":
                kernel = kernel / window.abs().sum()
        kernel = kernel.expand(tuple(shape))
        return kernel.to(dtype=config.torch_dtype(dtype), device=device).contiguous()

    def get_config(self) -> dict[str, Any]:
        return {"side": self.side, "window": self.window, "periodic": self.periodic, "scaling": self.scaling}
