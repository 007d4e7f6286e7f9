"""Image kernels: bit-level parity with `keras.ops.image.resize` / `affine_transform` (torch
backend) on random transforms, every fill mode, interpolation and data format."""

import numpy as np
import pytest
import torch

from torchkeras.layers.preprocessing.image_ops import affine_transform, aspect_crop_box, resize

# Pixels span 0-255: compare with a tolerance relative to that range (float32 rounding of the
# sampling coordinates differs across CPUs by a few ulps, which moves a bilinear sample by ~1e-4).
PIXEL_RANGE = 255.0
TOLERANCE = {"rtol": 0.0, "atol": 1e-5 * PIXEL_RANGE}


def _images(data_format="channels_last"):
    images = np.random.default_rng(0).uniform(0, PIXEL_RANGE, (3, 7, 9, 2)).astype("float32")
    return images if data_format == "channels_last" else images.transpose(0, 3, 1, 2).copy()


def _transforms(seed):
    t = np.random.default_rng(seed).normal(size=(3, 8)).astype("float32")
    t[:, 6:] = 0.0
    t[:, [0, 4]] += 1.0
    t[:, [2, 5]] *= 4.0
    return t


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "reflect"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_affine_transform_matches_keras(keras, interpolation, fill_mode, data_format):
    x = _images(data_format)
    t = _transforms(seed=1)
    theirs = keras.ops.image.affine_transform(x, t.copy(), interpolation, fill_mode, 3.0, data_format)
    ours = affine_transform(
        torch.as_tensor(x), torch.as_tensor(t), interpolation, fill_mode, 3.0, data_format
    )
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), **TOLERANCE)


def test_fill_modes_reference():
    # Shift a 1 x 4 row left by 2: the two samples past the right edge, per fill mode.
    row = torch.tensor([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 4, 1)
    shift = torch.tensor([[1.0, 0.0, 2.0, 0.0, 1.0, 0.0, 0.0, 0.0]])
    expected = {
        "constant": [3, 4, 9, 9],
        "nearest": [3, 4, 4, 4],
        "wrap": [3, 4, 1, 2],
        "reflect": [3, 4, 4, 3],
    }
    for mode, values in expected.items():
        out = affine_transform(row, shift, "nearest", mode, 9.0)
        np.testing.assert_array_equal(out.reshape(-1).numpy(), values)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_resize_matches_keras(keras, interpolation, data_format):
    x = _images(data_format)
    theirs = keras.ops.image.resize(x, (4, 13), interpolation, data_format=data_format)
    ours = resize(torch.as_tensor(x), 4, 13, interpolation, data_format=data_format)
    np.testing.assert_array_equal(ours.numpy(), np.asarray(theirs))


def test_resize_keeps_integer_dtype_and_channels_last_layout():
    x = torch.randint(0, 256, (2, 6, 6, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    out = resize(x, 3, 3)
    assert out.dtype == torch.uint8 and out.is_contiguous()


def test_aspect_crop_box():
    assert aspect_crop_box(6, 8, 4, 4) == (0, 1, 6, 6)
    assert aspect_crop_box(7, 9, 10, 12) == (0, 0, 7, 8)
    assert aspect_crop_box(10, 3, 1, 5) == (4, 0, 1, 3)
