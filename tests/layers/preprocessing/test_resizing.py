"""Resizing: parity with Keras's torch resize (every interpolation, crop/pad to aspect ratio,
antialias, both data formats, rank 3 and integer images), and errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.preprocessing import Resizing

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (2, 7, 9, 3)).astype("float32")
OPTIONS = [
    {},
    {"crop_to_aspect_ratio": True},
    {"pad_to_aspect_ratio": True, "fill_value": 5.0},
    {"antialias": True},
]


def _images(data_format):
    return IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("size", [(4, 5), (10, 6)])
def test_parity(keras, interpolation, options, data_format, size):
    kwargs = {"interpolation": interpolation, "data_format": data_format, **options}
    check_layer(
        lambda: Resizing(*size, **kwargs),
        _images(data_format),
        lambda: keras.layers.Resizing(*size, **kwargs),
    )


def test_bilinear_reference_formula():
    # Downsampling by exactly 2 with half-pixel centers averages each 2x2 block.
    x = RNG.normal(size=(1, 4, 6, 2)).astype("float32")
    out = Resizing(2, 3)(torch.as_tensor(x)).numpy()
    blocks = x.reshape(1, 2, 2, 3, 2, 2).mean(axis=(2, 4))
    np.testing.assert_allclose(out, blocks, rtol=1e-6)


def test_single_image_and_integer_dtype(keras):
    image = RNG.integers(0, 256, (7, 9, 3)).astype("uint8")
    ours = Resizing(4, 4)(torch.as_tensor(image))
    theirs = np.asarray(keras.layers.Resizing(4, 4)(image))
    assert ours.dtype == torch.uint8 and tuple(ours.shape) == (4, 4, 3)
    np.testing.assert_array_equal(ours.numpy(), theirs)


def test_compute_output_shape():
    assert Resizing(4, 5).compute_output_shape((None, 7, 9, 3)) == (None, 4, 5, 3)
    assert Resizing(4, 5, data_format="channels_first").compute_output_shape((3, 7, 9)) == (3, 4, 5)


def test_errors():
    with pytest.raises(ValueError, match="interpolation.*Did you mean 'bilinear'"):
        Resizing(4, 4, interpolation="bilinera")
    with pytest.raises(ValueError, match="interpolation"):
        Resizing(4, 4, interpolation="lanczos3")
    with pytest.raises(ValueError, match="crop_to_aspect_ratio"):
        Resizing(4, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="`height` must be a positive integer"):
        Resizing(0, 4)
    with pytest.raises(ValueError, match="fill_mode"):
        Resizing(4, 4, fill_mode="reflect")
    with pytest.raises(ValueError, match="data_format.*Did you mean 'channels_last'"):
        Resizing(4, 4, data_format="channel_last")
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        Resizing(4, 4)(torch.zeros(2, 3))
