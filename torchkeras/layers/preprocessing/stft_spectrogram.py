"""`STFTSpectrogram`: a short-time Fourier transform as a (trainable) strided convolution."""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch

from torchkeras import config, initializers
from torchkeras.layers.convolutional.base_conv import data_format_argument, torch_kernel_layout
from torchkeras.layers.convolutional.conv_utils import convolve
from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.shapes import conv_output_length
from torchkeras.utils.validation import check_choice, check_positive_int, invalid

__all__ = ["STFTSpectrogram"]

MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


@register_builtin
class STFTSpectrogram(Layer):
    """Spectrogram of each channel of a signal, computed as Keras does: a 1-D convolution whose
    kernels are the windowed DFT basis (`keras.initializers.STFT`), so they can be fine-tuned.

    Args:
        mode: `"log"` (log magnitude), `"magnitude"`, `"psd"` (power spectral density, the inner
            bins doubled), `"real"`, `"imag"`, `"angle"`, or `"stft"` (real then imaginary bins).
        frame_length: window length in samples.
        frame_step: samples between frames (`frame_length // 2` when `None`).
        fft_length: number of FFT points, at least `frame_length` (the next power of two when
            `None`); `fft_length // 2 + 1` frequency bins.
        window: `"hann"`, `"hamming"` (or another name `keras.initializers.STFT` knows), an
            array of `frame_length` values, or `None`.
        periodic: whether the named window is periodic (else symmetric).
        scaling: `"density"`, `"spectrum"` or `None`: how the window is normalized.
        padding: `"valid"` or `"same"`.
        expand_dims: output `(batch, time, bins, channels)` instead of flattening the channels
            into the bins.
        data_format: `"channels_last"` (`(batch, time, channels)`) or `"channels_first"`.

    Input shape:
        `(batch, time, channels)` (or `(batch, channels, time)`), float.

    Output shape:
        `(batch, frames, channels * bins)` (or `(batch, channels * bins, frames)`); with
        `expand_dims`, `(batch, frames, bins, channels)` (or `(batch, channels, frames, bins)`).

    Example:
    ```python
    layer = keras.layers.STFTSpectrogram(frame_length=256, frame_step=128, fft_length=512)
    layer(np.random.rand(3, 16000, 1)).shape  # (3, 124, 257)
    ```
    """

    def __init__(
        self,
        mode: str = "log",
        frame_length: int = 256,
        frame_step: int | None = None,
        fft_length: int | None = None,
        window: Any = "hann",
        periodic: bool = False,
        scaling: str | None = "density",
        padding: str = "valid",
        expand_dims: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        owner = f"STFTSpectrogram '{self.name}'"
        self.mode = check_choice(mode, MODES, "mode", owner)
        self.frame_length = check_positive_int(frame_length, "frame_length", owner)
        if frame_step is not None and (
            isinstance(frame_step, bool)
            or not isinstance(frame_step, int)
            or not 1 <= frame_step <= frame_length
        ):
            raise invalid(
                "frame_step", f"must be an integer in [1, frame_length={frame_length}]", frame_step, owner
            )
        if fft_length is not None:
            check_positive_int(fft_length, "fft_length", owner)
            if fft_length < frame_length:
                raise invalid("fft_length", f"must be >= frame_length={frame_length}", fft_length, owner)
            if fft_length & (fft_length - 1):
                warnings.warn(
                    f"{owner}: `fft_length` is best a power of two. Received: {fft_length}", stacklevel=2
                )
        if scaling is not None:
            check_choice(scaling, ("density", "spectrum"), "scaling", owner)
        self.padding = check_choice(padding, ("valid", "same"), "padding", owner)
        initializers.STFT("real", window, scaling, periodic)  # checks the window name
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.expand_dims = expand_dims
        self.data_format = data_format_argument(data_format, owner)
        self._owner = owner

    def build(self, input_shape: Any = None) -> None:
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel",
                shape=shape,
                initializer=initializers.STFT("real", self.window, self.scaling, self.periodic),
                layout=torch_kernel_layout(1),
            )
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel",
                shape=shape,
                initializer=initializers.STFT("imag", self.window, self.scaling, self.periodic),
                layout=torch_kernel_layout(1),
            )

    def _convolve(self, signals: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        """`(batch, channels, time)` -> `(batch, channels, bins, frames)`."""
        batch, channels, time = signals.shape
        flat = signals.reshape(batch * channels, 1, time)
        out = convolve(flat, kernel.to(signals.dtype), None, (self._frame_step,), self.padding, (1,))
        return out.reshape(batch, channels, *out.shape[1:])

    def _arrange(self, outputs: torch.Tensor) -> torch.Tensor:
        """`(batch, channels, bins, frames)` -> the output layout."""
        batch, channels, bins, frames = outputs.shape
        channels_last = self.data_format == "channels_last"
        if self.expand_dims:
            return outputs.permute(0, 3, 2, 1) if channels_last else outputs.transpose(2, 3)
        flat = outputs.reshape(batch, channels * bins, frames)
        return flat.transpose(1, 2) if channels_last else flat

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if not inputs.is_floating_point():
            raise TypeError(
                f"{self._owner}: expected float16, float32 or float64 inputs. Received: dtype={inputs.dtype}"
            )
        if inputs.ndim != 3:
            raise ValueError(
                f"{self._owner}: expected inputs of rank 3 (batch, time, channels). "
                f"Received: inputs.shape={tuple(inputs.shape)}"
            )
        signals = inputs.transpose(1, 2) if self.data_format == "channels_last" else inputs
        real = self._convolve(signals, self.real_kernel) if self.mode != "imag" else None
        imag = self._convolve(signals, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._arrange(real)
        if self.mode == "imag":
            return self._arrange(imag)
        if self.mode == "angle":
            return self._arrange(torch.atan2(imag, real))
        if self.mode == "stft":
            return self._arrange(torch.cat([real, imag], dim=2))
        power = real.square() + imag.square()
        if self.mode == "psd":
            inner = torch.nn.functional.pad(power[:, :, 1:-1], (0, 0, 1, 1))
            return self._arrange(power + inner)
        magnitude = self._arrange(power.clamp_min(config.epsilon()).sqrt())
        if self.mode == "magnitude":
            return magnitude
        return magnitude.clamp_min(config.epsilon()).log()

    def compute_output_shape(self, input_shape: Any) -> tuple:
        channels_last = self.data_format == "channels_last"
        batch = input_shape[0]
        time, channels = (
            (input_shape[1], input_shape[2]) if channels_last else (input_shape[2], input_shape[1])
        )
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        frames = conv_output_length(time, self.frame_length, self._frame_step, self.padding)
        if self.expand_dims:
            return (batch, frames, bins, channels) if channels_last else (batch, channels, frames, bins)
        flat = None if channels is None else channels * bins
        return (batch, frames, flat) if channels_last else (batch, flat, frames)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }
