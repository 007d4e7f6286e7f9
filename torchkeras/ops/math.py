"""Math ops (`keras.ops.math`): log-sum-exp, top-k, error functions, segment reductions, Fourier
transforms and spectrograms, complex views, pairwise distances."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch._subclasses.fake_tensor import is_fake  # shape inference runs ops on fake tensors

from torchkeras.ops._convert import ArrayLike, convert, floatx_dtype, pair, tensor
from torchkeras.ops._symbolic import OutputSpec, dtype_of, shape_of, symbolic_op
from torchkeras.utils.validation import check_positive_int

__all__ = [
    "cdist",
    "erf",
    "erfc",
    "erfinv",
    "extract_sequences",
    "fft",
    "fft2",
    "ifft2",
    "in_top_k",
    "irfft",
    "istft",
    "logdet",
    "logsumexp",
    "polar",
    "rfft",
    "rsqrt",
    "segment_max",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "stft",
    "top_k",
    "view_as_complex",
    "view_as_real",
]

Pair = tuple[Any, Any]


@symbolic_op
def logsumexp(x: ArrayLike, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> torch.Tensor:
    """`log(sum(exp(x)))` over `axis` (all axes when None), computed stably."""
    x = tensor(x)
    dim = tuple(range(x.ndim)) if axis is None else axis
    return torch.logsumexp(x, dim=dim, keepdim=keepdims)


@symbolic_op
def top_k(x: ArrayLike, k: int, sorted: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The `k` largest entries along the last axis and their indices, as `(values, indices)`."""
    return torch.topk(tensor(x), k, sorted=sorted)


@symbolic_op
def in_top_k(targets: ArrayLike, predictions: ArrayLike, k: int) -> torch.Tensor:
    """Whether each target class is among the `k` highest `predictions` of its row (ties count in).

    Args:
        targets: int tensor of shape `(batch,)`.
        predictions: float tensor of shape `(batch, classes)`.
    """
    predictions, targets = pair(predictions, targets)
    target_scores = torch.take_along_dim(predictions, targets.long()[:, None], dim=1)
    higher = torch.sum(predictions > target_scores, dim=1)
    return (higher < k) & ~torch.isnan(target_scores[:, 0])


def erf(x: ArrayLike) -> torch.Tensor:
    """Element-wise Gauss error function."""
    return torch.erf(tensor(x))


def erfinv(x: ArrayLike) -> torch.Tensor:
    """Element-wise inverse of `erf`."""
    return torch.erfinv(tensor(x))


def rsqrt(x: ArrayLike) -> torch.Tensor:
    """Element-wise `1 / sqrt(x)`."""
    return torch.rsqrt(tensor(x))


@symbolic_op
def erfc(x: ArrayLike) -> torch.Tensor:
    """Element-wise complementary error function `1 - erf(x)`."""
    return torch.erfc(tensor(x))


@symbolic_op
def logdet(x: ArrayLike) -> torch.Tensor:
    """Log-determinant of each square matrix in the last two axes of `x` (NaN for a negative
    determinant)."""
    return torch.logdet(tensor(x))


@symbolic_op
def cdist(x: ArrayLike, y: ArrayLike) -> torch.Tensor:
    """Euclidean distances between the rows of `x` `(..., P, M)` and of `y` `(..., R, M)`: `(..., P, R)`."""
    x, y = pair(x, y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(
            f"`x` and `y` must have rank >= 2. Received: x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}"
        )
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            "`x` and `y` must have the same last axis. "
            f"Received: x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}"
        )
    return torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")


# ------------------------------------------------------------------------------ segment reductions

_SEGMENT_IDENTITY = {"sum": 0.0, "prod": 1.0, "amax": float("-inf"), "amin": float("inf")}


def _segment(data: ArrayLike, segment_ids: ArrayLike, num_segments: int | None, reduce: str) -> torch.Tensor:
    data = tensor(data)
    ids = convert(segment_ids, torch.int64, data.device)
    if ids.ndim != 1 or ids.shape[0] != data.shape[0]:
        raise ValueError(
            "`segment_ids` must be 1-D with one id per row of `data`. "
            f"Received: segment_ids.shape={tuple(ids.shape)}, data.shape={tuple(data.shape)}"
        )
    if num_segments is None:
        num_segments = int(ids.max()) + 1 if ids.numel() else 0  # data-dependent: read on the host
    # Ids outside [0, num_segments) land in one extra row, dropped at the end.
    ids = torch.where((ids >= 0) & (ids < num_segments), ids, num_segments)
    index = ids.reshape(-1, *(1,) * (data.ndim - 1)).expand(data.shape)
    work = data if data.dtype.is_floating_point else data.to(torch.float64)
    identity = _SEGMENT_IDENTITY[reduce]
    out = torch.full((num_segments + 1, *data.shape[1:]), identity, dtype=work.dtype, device=data.device)
    out = out.scatter_reduce(0, index, work, reduce, include_self=True)[:-1]
    if not data.dtype.is_floating_point:
        info = torch.iinfo(data.dtype) if data.dtype != torch.bool else None
        if info is not None:
            out = torch.clamp(out, info.min, info.max)
    return out.to(data.dtype)


def _segment_spec(
    data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False
) -> OutputSpec | None:
    if num_segments is not None:
        return None  # a static number of rows: traced as usual
    shape, ids = shape_of(data), shape_of(segment_ids)
    if len(ids) != 1 or (None not in (ids[0], shape[0]) and ids[0] != shape[0]):
        raise ValueError(
            "`segment_ids` must be 1-D with one id per row of `data`. "
            f"Received: segment_ids.shape={ids}, data.shape={shape}"
        )
    return OutputSpec((None, *shape[1:]), dtype_of(data))  # rows: `max(segment_ids) + 1`


@symbolic_op(output_spec=_segment_spec)
def segment_sum(
    data: ArrayLike, segment_ids: ArrayLike, num_segments: int | None = None, sorted: bool = False
) -> torch.Tensor:
    """Sums the rows of `data` that share a segment id: output row `i` adds the rows with id `i`.

    Args:
        data: tensor; axis 0 is segmented.
        segment_ids: int `(data.shape[0],)`; ids outside `[0, num_segments)` are dropped.
        num_segments: output rows; default `max(segment_ids) + 1` (read from the data).
        sorted: accepted for Keras compatibility (the result does not depend on it).
    """
    return _segment(data, segment_ids, num_segments, "sum")


@symbolic_op(output_spec=_segment_spec)
def segment_max(
    data: ArrayLike, segment_ids: ArrayLike, num_segments: int | None = None, sorted: bool = False
) -> torch.Tensor:
    """Maximum of the rows of `data` in each segment (-inf for an empty float segment); as `segment_sum`."""
    return _segment(data, segment_ids, num_segments, "amax")


@symbolic_op(output_spec=_segment_spec)
def segment_min(
    data: ArrayLike, segment_ids: ArrayLike, num_segments: int | None = None, sorted: bool = False
) -> torch.Tensor:
    """Minimum of the rows of `data` in each segment (inf for an empty float segment); as `segment_sum`."""
    return _segment(data, segment_ids, num_segments, "amin")


@symbolic_op(output_spec=_segment_spec)
def segment_prod(
    data: ArrayLike, segment_ids: ArrayLike, num_segments: int | None = None, sorted: bool = False
) -> torch.Tensor:
    """Product of the rows of `data` in each segment (1 for an empty segment); as `segment_sum`."""
    return _segment(data, segment_ids, num_segments, "prod")


# ------------------------------------------------------------------------- complex numbers and FFTs


@symbolic_op
def polar(abs_: ArrayLike, angle: ArrayLike) -> torch.Tensor:
    """The complex tensor `abs_ * (cos(angle) + i * sin(angle))`."""
    abs_, angle = pair(abs_, angle)
    return torch.complex(abs_ * torch.cos(angle), abs_ * torch.sin(angle))


@symbolic_op
def view_as_complex(x: ArrayLike) -> torch.Tensor:
    """A float tensor `(..., 2)` of (real, imaginary) pairs as a complex tensor `(...)`."""
    x = tensor(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(
            f"`x` must have a last axis of size 2 (real, imaginary). Received: x.shape={tuple(x.shape)}"
        )
    return torch.complex(x[..., 0], x[..., 1])


@symbolic_op
def view_as_real(x: ArrayLike) -> torch.Tensor:
    """A complex tensor `(...)` as a float tensor `(..., 2)` of (real, imaginary) pairs."""
    x = tensor(x)
    return torch.stack([torch.real(x), torch.imag(x)], dim=-1)


def _complex(x: Pair) -> torch.Tensor:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"`x` must be a tuple (real, imaginary) of two float tensors. Received: x={x!r}")
    real, imag = pair(*x)
    if tuple(real.shape) != tuple(imag.shape):
        raise ValueError(
            "The real and imaginary parts of `x` must have the same shape. "
            f"Received: x[0].shape={tuple(real.shape)}, x[1].shape={tuple(imag.shape)}"
        )
    if not (real.dtype.is_floating_point and imag.dtype.is_floating_point):
        raise ValueError(f"The parts of `x` must be float tensors. Received: {real.dtype}, {imag.dtype}")
    return torch.complex(real, imag)


def _parts(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.real(z), torch.imag(z)


@symbolic_op
def fft(x: Pair) -> tuple[torch.Tensor, torch.Tensor]:
    """Discrete Fourier transform along the last axis of `x = (real, imag)`; returns `(real, imag)`."""
    return _parts(torch.fft.fft(_complex(x)))


@symbolic_op
def fft2(x: Pair) -> tuple[torch.Tensor, torch.Tensor]:
    """2-D discrete Fourier transform over the last two axes of `x = (real, imag)`."""
    return _parts(torch.fft.fft2(_complex(x)))


@symbolic_op
def ifft2(x: Pair) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of `fft2`."""
    return _parts(torch.fft.ifft2(_complex(x)))


@symbolic_op
def rfft(x: ArrayLike, fft_length: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Fourier transform of the real `x` along its last axis: `fft_length // 2 + 1` bins as `(real, imag)`.

    Args:
        x: float tensor.
        fft_length: transform length (the input is cropped or zero-padded); default `x.shape[-1]`.
    """
    x = tensor(x)
    if not x.dtype.is_floating_point:
        x = x.to(floatx_dtype())
    return _parts(torch.fft.rfft(x, n=fft_length, dim=-1))


@symbolic_op
def irfft(x: Pair, fft_length: int | None = None) -> torch.Tensor:
    """Inverse of `rfft`: `(real, imag)` bins to a real signal of `fft_length` (default `2 * (bins - 1)`)."""
    return torch.fft.irfft(_complex(x), n=fft_length, dim=-1)


def _window(window: str | ArrayLike | None, length: int, dtype: torch.dtype, device: Any) -> torch.Tensor:
    if window is None:
        return torch.ones(length, dtype=dtype, device=device)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(
                f"`window` must be 'hann', 'hamming', a tensor or None. Received: window={window!r}"
            )
        make = torch.hann_window if window == "hann" else torch.hamming_window
        return make(length, periodic=True, dtype=dtype, device=device)
    values = convert(window, dtype, device)
    if values.ndim != 1 or values.shape[0] != length:
        raise ValueError(
            f"`window` must have shape ({length},) (sequence_length). Received: {tuple(values.shape)}"
        )
    return values


@symbolic_op
def stft(
    x: ArrayLike,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    window: str | ArrayLike | None = "hann",
    center: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Short-time Fourier transform of real signals along the last axis of `x`.

    Args:
        x: float32 or float64 `(..., samples)`.
        sequence_length: frame length (the window length).
        sequence_stride: step between frames.
        fft_length: FFT size, >= `sequence_length` (the window is centred in it).
        window: `"hann"`, `"hamming"` (periodic), a 1-D tensor, or None (rectangular).
        center: pad `x` by `fft_length // 2` on both sides (reflect) so frames are centred.

    Returns:
        `(real, imag)`, each `(..., frames, fft_length // 2 + 1)`.
    """
    x = tensor(x)
    if x.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"`x` must be float32 or float64. Received: x.dtype={x.dtype}")
    if fft_length < sequence_length:
        raise ValueError(
            f"`fft_length` must be >= `sequence_length`. Received: fft_length={fft_length}, "
            f"sequence_length={sequence_length}"
        )
    win = _window(window, sequence_length, x.dtype, x.device)
    batch = x.shape[:-1]
    flat = torch.reshape(x, (-1, x.shape[-1]))
    spectra = torch.stft(
        flat, fft_length, sequence_stride, sequence_length, win, center=center, return_complex=True
    )
    spectra = torch.reshape(spectra, (*batch, *spectra.shape[-2:])).transpose(-1, -2)
    return _parts(spectra)


@symbolic_op
def istft(
    x: Pair,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    length: int | None = None,
    window: str | ArrayLike | None = "hann",
    center: bool = True,
) -> torch.Tensor:
    """Inverse of `stft`: frames `(real, imag)` of shape `(..., frames, fft_length // 2 + 1)` back
    to signals `(..., samples)` by windowed overlap-add (TensorFlow's inverse-window normalization).

    Args:
        x: `(real, imag)` as returned by `stft`.
        sequence_length, sequence_stride, fft_length, window, center: as given to `stft`.
        length: crop the output to this many samples.
    """
    spectra = _complex(x)
    if window is not None and center and sequence_length == fft_length and not is_fake(spectra):
        # The common case: torch's inverse, normalized by the true window envelope (exact at the
        # edges too), as Keras's torch backend does.
        win = _window(window, sequence_length, spectra.real.dtype, spectra.device)
        batch, (count, bins) = spectra.shape[:-2], spectra.shape[-2:]
        flat = torch.reshape(spectra, (-1, count, bins)).transpose(-1, -2)
        signal = torch.istft(
            flat, fft_length, sequence_stride, sequence_length, win, center=True, length=length
        )
        return torch.reshape(signal, (*batch, signal.shape[-1]))
    frames = torch.fft.irfft(spectra, n=fft_length, dim=-1)
    dtype = frames.dtype
    count = frames.shape[-2]
    if window is not None:
        win = _window(window, sequence_length, dtype, frames.device)
        left = (fft_length - sequence_length) // 2
        win = F.pad(win, (left, fft_length - sequence_length - left))
        # Divide by the overlapping squared windows, folded to one stride (TensorFlow's rule).
        overlaps = -(-fft_length // sequence_stride)
        squares = F.pad(torch.square(win), (0, overlaps * sequence_stride - fft_length))
        denominator = torch.sum(torch.reshape(squares, (overlaps, sequence_stride)), dim=0)
        frames = frames * (win / denominator.repeat(overlaps)[:fft_length])
    signal = overlap_add(frames, sequence_stride)
    start = fft_length // 2 if center else 0
    if length is not None:
        return signal[..., start : start + length]
    end = signal.shape[-1] - fft_length // 2 if center else fft_length + sequence_stride * (count - 1)
    return signal[..., start:end]


def overlap_add(frames: torch.Tensor, stride: int) -> torch.Tensor:
    """Sums frames `(..., count, frame_length)` placed `stride` apart into
    `(..., (count - 1) * stride + frame_length)` samples."""
    *batch, count, frame = frames.shape
    columns = torch.reshape(frames, (-1, count, frame)).transpose(1, 2)
    total = (count - 1) * stride + frame
    summed = F.fold(columns, (1, total), (1, frame), stride=(1, stride))
    return torch.reshape(summed, (*batch, total))


@symbolic_op
def extract_sequences(x: ArrayLike, sequence_length: int, sequence_stride: int) -> torch.Tensor:
    """Frames of the last axis of `x`: `(..., samples)` -> `(..., frames, sequence_length)`, frames
    `sequence_stride` apart (no padding)."""
    check_positive_int(sequence_length, "sequence_length")
    check_positive_int(sequence_stride, "sequence_stride")
    return tensor(x).unfold(-1, sequence_length, sequence_stride)
