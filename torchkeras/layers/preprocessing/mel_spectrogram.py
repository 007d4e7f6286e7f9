"""`MelSpectrogram`: audio signals to (log-)mel spectrograms."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_positive_int, invalid

__all__ = ["MelSpectrogram"]

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0
_WINDOWS = {"hann": torch.hann_window, "hamming": torch.hamming_window}


@register_builtin
class MelSpectrogram(Layer):
    """Computes the mel spectrogram of raw audio, as Keras does.

    Each signal goes through a centered STFT (reflect padding, a periodic window of
    `sequence_length` samples every `sequence_stride`), the magnitude to the power `mag_exp`,
    a bank of `num_mel_bins` triangular HTK mel filters between `min_freq` and `max_freq`, and,
    with `power_to_db`, `10 * log10(max(x, min_power) / ref_power)` floored at the largest value
    of the whole batch minus `top_db` (Keras's convention).

    Args:
        fft_length: FFT size; `fft_length // 2 + 1` frequency bins.
        sequence_stride: samples between frames.
        sequence_length: window length in samples (`fft_length` when `None`); at most `fft_length`.
        window: `"hann"`, `"hamming"` or `None` (rectangular).
        sampling_rate: samples per second of the signals.
        num_mel_bins: number of mel bands.
        min_freq, max_freq: the band edges in Hz (`max_freq` defaults to `sampling_rate / 2`).
        power_to_db: whether to convert power to decibels.
        top_db: dynamic range kept below the maximum, in dB.
        mag_exp: exponent of the magnitude (2 for power, 1 for magnitude).
        min_power: floor of the power before the logarithm.
        ref_power: power mapped to 0 dB.

    Input shape:
        `(batch, samples)` or `(samples,)`; float.

    Output shape:
        `(batch, num_mel_bins, 1 + samples // sequence_stride)` (no batch axis for one signal).

    Example:
    ```python
    layer = keras.layers.MelSpectrogram(num_mel_bins=64, sampling_rate=8000,
                                        sequence_stride=256, fft_length=2048)
    layer(np.random.rand(2, 16000))  # shape (2, 64, 63)
    ```
    """

    def __init__(
        self,
        fft_length: int = 2048,
        sequence_stride: int = 512,
        sequence_length: int | None = None,
        window: str | None = "hann",
        sampling_rate: int = 16000,
        num_mel_bins: int = 128,
        min_freq: float = 20.0,
        max_freq: float | None = None,
        power_to_db: bool = True,
        top_db: float = 80.0,
        mag_exp: float = 2.0,
        min_power: float = 1e-10,
        ref_power: float = 1.0,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        owner = f"MelSpectrogram '{self.name}'"
        self.fft_length = check_positive_int(fft_length, "fft_length", owner)
        self.sequence_stride = check_positive_int(sequence_stride, "sequence_stride", owner)
        self.sequence_length = check_positive_int(sequence_length or fft_length, "sequence_length", owner)
        if self.fft_length < self.sequence_length:
            raise invalid(
                "fft_length", f"must be >= sequence_length={self.sequence_length}", fft_length, owner
            )
        if window is not None and window not in _WINDOWS:
            raise invalid("window", f"must be one of {tuple(_WINDOWS)} or None", window, owner)
        self.window = window
        if not isinstance(sampling_rate, (int, float)) or sampling_rate <= 0:
            raise invalid("sampling_rate", "must be a positive number", sampling_rate, owner)
        self.sampling_rate = sampling_rate
        self.num_mel_bins = check_positive_int(num_mel_bins, "num_mel_bins", owner)
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        if not 0 <= self.min_freq < self.max_freq:
            raise invalid("min_freq", f"must be >= 0 and below max_freq={self.max_freq}", min_freq, owner)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power

    def build(self, input_shape: Any = None) -> None:
        device = self._build_device or "cpu"
        window = torch.ones(self.sequence_length)
        if self.window is not None:
            window = _WINDOWS[self.window](self.sequence_length, periodic=True)
        self.register_buffer("_window", window.to(device), persistent=False)
        matrix = self.linear_to_mel_weight_matrix(
            self.num_mel_bins, self.fft_length // 2 + 1, self.sampling_rate, self.min_freq, self.max_freq
        )
        self.register_buffer("_mel_matrix", matrix.to(device), persistent=False)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if not inputs.is_floating_point():
            inputs = inputs.to(torch.float32)
        dtype = inputs.dtype if inputs.dtype in (torch.float32, torch.float64) else torch.float32
        signals = inputs.to(dtype)
        batch_shape = signals.shape[:-1]
        spectrum = torch.stft(
            signals.reshape(-1, signals.shape[-1]),
            n_fft=self.fft_length,
            hop_length=self.sequence_stride,
            win_length=self.sequence_length,
            window=self._window.to(device=signals.device, dtype=dtype),
            center=True,
            return_complex=True,
        )  # (signals, bins, frames)
        power = spectrum.abs().pow(self.mag_exp)
        mel = torch.einsum("nft,fm->nmt", power, self._mel_matrix.to(device=power.device, dtype=dtype))
        if self.power_to_db:
            mel = self._dbscale(mel)
        return mel.reshape(*batch_shape, *mel.shape[1:]).to(inputs.dtype)

    def _dbscale(self, power: torch.Tensor) -> torch.Tensor:
        log_spec = 10.0 * torch.log10(power.clamp_min(self.min_power))
        log_spec = log_spec - 10.0 * math.log10(max(abs(self.ref_power), self.min_power))
        return torch.maximum(log_spec, log_spec.max() - self.top_db)

    def linear_to_mel_weight_matrix(
        self,
        num_mel_bins: int = 20,
        num_spectrogram_bins: int = 129,
        sampling_rate: float = 8000,
        lower_edge_hertz: float = 125.0,
        upper_edge_hertz: float = 3800.0,
        dtype: str = "float32",
    ) -> torch.Tensor:
        """The `(num_spectrogram_bins, num_mel_bins)` matrix of triangular HTK mel filters (peak 1)
        mapping linear frequency bins in `[0, sampling_rate / 2]` to mel bands; the DC bin maps
        to nothing."""
        torch_dtype = getattr(torch, dtype)

        def to_mel(hertz: torch.Tensor) -> torch.Tensor:
            return _MEL_HIGH_FREQUENCY_Q * torch.log(1.0 + hertz / _MEL_BREAK_FREQUENCY_HERTZ)

        nyquist = float(np.float32(sampling_rate)) / 2.0
        frequencies = torch.linspace(0.0, nyquist, num_spectrogram_bins, dtype=torch_dtype)[1:]
        bins_mel = to_mel(frequencies).unsqueeze(1)
        low = to_mel(torch.tensor(lower_edge_hertz, dtype=torch_dtype))
        high = to_mel(torch.tensor(upper_edge_hertz, dtype=torch_dtype))
        edges = torch.linspace(float(low), float(high), num_mel_bins + 2, dtype=torch_dtype)
        lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
        lower_slopes = (bins_mel - lower) / (center - lower)
        upper_slopes = (upper - bins_mel) / (upper - center)
        weights = torch.minimum(lower_slopes, upper_slopes).clamp_min(0.0)
        return torch.nn.functional.pad(weights, (0, 0, 1, 0))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        samples = input_shape[-1]
        frames = None if samples is None else 1 + samples // self.sequence_stride
        return (*tuple(input_shape[:-1]), self.num_mel_bins, frames)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }
