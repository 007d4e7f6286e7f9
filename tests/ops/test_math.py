"""torchkeras.ops.math: logsumexp, top_k, in_top_k, erf, erfinv, rsqrt against keras.ops."""

import numpy as np
import pytest
import torch

from torchkeras import ops

rng = np.random.default_rng(3)
A = torch.as_tensor(rng.standard_normal((2, 3, 4)).astype("float32"))
SCORES = torch.tensor([[0.1, 0.5, 0.4, 0.5], [3.0, 1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
TARGETS = torch.tensor([3, 2, 1])


def case(name, *args, **kwargs):
    label = "-".join([name, *(f"{k}={v}" for k, v in kwargs.items())])
    return pytest.param(name, args, kwargs, id=label)


CASES = [
    case("logsumexp", A),
    case("logsumexp", A, axis=1),
    case("logsumexp", A, axis=(0, 2), keepdims=True),
    case("top_k", A, 2),
    case("top_k", SCORES, 3, sorted=True),
    case("in_top_k", TARGETS, SCORES, 1),
    case("in_top_k", TARGETS, SCORES, 2),
    case("in_top_k", TARGETS, SCORES, 3),
    case("erf", A),
    case("erfinv", torch.tanh(A)),
    case("rsqrt", torch.abs(A) + 0.1),
]


@pytest.mark.parametrize("name, args, kwargs", CASES)
def test_parity_with_keras(keras, name, args, kwargs):
    expected = getattr(keras.ops, name)(*args, **kwargs)
    result = getattr(ops, name)(*args, **kwargs)
    for got, want in zip(*(v if isinstance(v, tuple) else (v,) for v in (result, expected))):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_top_k_unpacks_as_values_and_indices():
    values, indices = ops.top_k([3.0, 1.0, 2.0], 2)
    assert values.tolist() == [3.0, 2.0] and indices.tolist() == [0, 2]


def test_in_top_k_counts_ties_in():
    # the target ties with the best score: it is in the top 1, as in Keras
    assert ops.in_top_k(torch.tensor([1]), torch.tensor([[0.5, 0.5, 0.0]]), 1).tolist() == [True]


# ------------------------------------------------ FFTs, spectrograms, segments, distances (parity)

from tests.ops.parity import case as row  # noqa: E402
from tests.ops.parity import run_case  # noqa: E402

SIGNAL = torch.as_tensor(rng.standard_normal((2, 64)).astype("float32"))
SIGNALS = torch.as_tensor(rng.standard_normal((2, 3, 40)).astype("float32"))
REAL = torch.as_tensor(rng.standard_normal((2, 8)).astype("float32"))
IMAG = torch.as_tensor(rng.standard_normal((2, 8)).astype("float32"))
SQUARE = torch.as_tensor(rng.standard_normal((2, 3, 3)).astype("float32")) + 3 * torch.eye(3)
DATA = torch.as_tensor(rng.standard_normal((6, 3)).astype("float32"))
SEGMENTS = torch.tensor([0, 0, 2, 1, 2, 2])
INT_DATA = torch.as_tensor(rng.integers(-4, 5, (6, 2)).astype("int32"))
POINTS = torch.as_tensor(rng.standard_normal((2, 5, 3)).astype("float32"))
OTHER = torch.as_tensor(rng.standard_normal((2, 4, 3)).astype("float32"))
SPECTRA = ops.stft(SIGNAL, 16, 4, 16)

MATH_CASES = [
    row("erfc", A),
    row("logdet", SQUARE, rtol=1e-4),
    row("cdist", POINTS, OTHER),
    row("cdist", POINTS[0], OTHER[0]),
    row("segment_sum", DATA, SEGMENTS, symbolic=False),  # data-dependent length: give num_segments
    row("segment_sum", DATA, SEGMENTS, num_segments=4),
    row("segment_max", DATA, SEGMENTS, num_segments=3),
    row("segment_min", DATA, SEGMENTS, num_segments=4),
    row("segment_prod", DATA, SEGMENTS, num_segments=3),
    row("segment_sum", INT_DATA, SEGMENTS, num_segments=3),
    row("segment_max", INT_DATA, SEGMENTS, num_segments=3),
    row("fft", (REAL, IMAG), rtol=1e-4),
    row("fft2", (SQUARE, SQUARE * 2), rtol=1e-4),
    row("ifft2", (SQUARE, SQUARE * 2), rtol=1e-4),
    row("rfft", SIGNAL, rtol=1e-4),
    row("rfft", SIGNAL, fft_length=32, rtol=1e-4),
    row("irfft", (REAL, IMAG), rtol=1e-4),
    row("irfft", (REAL, IMAG), fft_length=10, rtol=1e-4),
    row("stft", SIGNAL, 16, 4, 16, rtol=1e-4),
    row("stft", SIGNALS, 10, 5, 16, window="hamming", center=False, rtol=1e-4),
    row("stft", SIGNAL, 8, 8, 8, window=None, rtol=1e-4),
    row("istft", SPECTRA, 16, 4, 16, rtol=1e-4),
    row("istft", SPECTRA, 16, 4, 16, length=50, rtol=1e-4),
    row("istft", ops.stft(SIGNALS, 10, 5, 16, center=False), 10, 5, 16, center=False, rtol=1e-4),
    row("istft", ops.stft(SIGNALS, 10, 5, 16), 10, 5, 16, rtol=1e-4),
    row("extract_sequences", SIGNAL, 10, 7),
    row("extract_sequences", SIGNALS, 8, 8),
    row("view_as_real", torch.complex(REAL, IMAG)),
    row("view_as_complex", torch.stack([REAL, IMAG], -1)),
]


@pytest.mark.parametrize("name, args, kwargs, options", MATH_CASES)
def test_math_parity(keras, name, args, kwargs, options):
    run_case(keras, name, args, kwargs, options)


def test_stft_round_trip():
    signal = SIGNAL.double()
    real, imag = ops.stft(signal, 16, 4, 16)
    np.testing.assert_allclose(
        ops.istft((real, imag), 16, 4, 16, length=64).numpy(), signal.numpy(), atol=1e-10
    )


def test_math_errors():
    with pytest.raises(ValueError, match="segment_ids"):
        ops.segment_sum(DATA, SEGMENTS[:3])
    with pytest.raises(ValueError, match="window"):
        ops.stft(SIGNAL, 16, 4, 16, window="kaiser")
    with pytest.raises(ValueError, match="real, imaginary"):
        ops.fft(REAL)
